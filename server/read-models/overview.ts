import { z } from 'zod';

import type { HostState } from '../ports/host';
import type { RunView } from '../ports/orchestrator';
import type { Services } from '../services';
import { formatUtc } from '../util/display-time';
import { type DataSummary, loadDataSummary } from './data-summary';

export interface RejectLine {
  file: string;
  line: number;
  reason: string;
}

/** A run as the overview lists it: render-ready, times with their zone. */
export interface OverviewRun {
  id: string;
  status: RunView['status'];
  triggerKind: RunView['trigger']['kind'];
  queuedAt: string;
  queuedAtText: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Overview {
  host: HostState;
  hostBadge: 'running' | 'cancelled' | 'queued';
  active: OverviewRun[];
  recent: OverviewRun[];
  lastSuccess: { id: string; finishedAtText: string; rowsLoaded: number | null } | null;
  lastRejects: { runId: string; rejected: number; first: RejectLine[] } | null;
  data: DataSummary;
}

// The parts of a run's summary (`stockflow run --json`, stored as JSON) the overview reads; an older
// or partial summary simply lacks them.
const summarySchema = z
  .object({
    rows: z.object({ loaded: z.number().optional(), rejected: z.number().optional() }).partial().optional(),
    firstRejects: z.array(z.object({ file: z.string(), line: z.number(), reason: z.string() })).optional(),
  })
  .nullable()
  .catch(null);

function overviewRun(run: RunView): OverviewRun {
  return { id: run.id, status: run.status, triggerKind: run.trigger.kind, queuedAt: run.queuedAt, queuedAtText: formatUtc(run.queuedAt), startedAt: run.startedAt, finishedAt: run.finishedAt };
}

/** Everything the overview screen shows, in one read. */
export async function loadOverview(services: Services): Promise<Overview> {
  const [host, recentPage, running, queued, succeeded, data] = await Promise.all([
    services.host.describe(),
    services.orchestrator.listRuns({ limit: 8 }),
    services.orchestrator.listRuns({ limit: 5, status: 'running' }),
    services.orchestrator.listRuns({ limit: 5, status: 'queued' }),
    services.orchestrator.listRuns({ limit: 1, status: 'success' }),
    loadDataSummary(services.pool),
  ]);
  const success = succeeded.runs[0];
  const lastFinished = recentPage.runs.find((run) => run.status === 'success' || run.status === 'failed');
  let lastRejects: Overview['lastRejects'] = null;
  if (lastFinished) {
    const summary = summarySchema.parse(lastFinished.summary);
    lastRejects = { runId: lastFinished.id, rejected: summary?.rows?.rejected ?? 0, first: (summary?.firstRejects ?? []).slice(0, 5) };
  }
  return {
    host,
    hostBadge: host.status === 'running' ? 'running' : host.status === 'stopped' ? 'cancelled' : 'queued',
    active: [...running.runs, ...queued.runs].map(overviewRun),
    recent: recentPage.runs.map(overviewRun),
    lastSuccess: success ? { id: success.id, finishedAtText: formatUtc(success.finishedAt), rowsLoaded: summarySchema.parse(success.summary)?.rows?.loaded ?? null } : null,
    lastRejects,
    data,
  };
}
