// One pipeline run in its own process, so the benchmark can read this process's peak RSS.
import { loadConfig } from '../../server/config';
import { newRunId, runPipeline } from '../../server/pipeline/run-pipeline';
import { openServices } from '../../server/services';

const services = await openServices(loadConfig());
const started = performance.now();
const summary = await runPipeline(services.pipelineContext(newRunId(), { log: () => {} }));
const seconds = (performance.now() - started) / 1000;
await services.close();
process.stdout.write(`${JSON.stringify({ summary, seconds, peakRssKb: process.resourceUsage().maxRSS })}\n`);
