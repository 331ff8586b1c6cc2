// One pipeline run in its own process, so the benchmark can read this process's peak RSS.
import { loadConfig } from '../../server/config';
import { newRunId, runPipeline } from '../../server/pipeline/run-pipeline';
import { openServices } from '../../server/services';

// BENCH_PHASES=1: every log line goes to stderr with the seconds since the process started (where a run's time goes).
const log = process.env.BENCH_PHASES === '1' ? (_level: string, message: string): void => void process.stderr.write(`${(performance.now() / 1000).toFixed(2)} s  ${message}\n`) : (): void => {};
const services = await openServices(loadConfig());
log('info', 'services open');
const started = performance.now();
const cpuBefore = process.cpuUsage();
const summary = await runPipeline(services.pipelineContext(newRunId(), { log }));
const seconds = (performance.now() - started) / 1000;
// This process's own CPU during the run (not PostgreSQL's, not an emulator's).
const { user, system } = process.cpuUsage(cpuBefore);
log('info', `run over (${seconds.toFixed(2)} s measured)`);
await services.close();
process.stdout.write(`${JSON.stringify({ summary, seconds, cpuSeconds: (user + system) / 1e6, peakRssKb: process.resourceUsage().maxRSS })}\n`);
