import type pg from 'pg';

import type { Logger } from '../ports/logger';
import { loadDataSummary } from '../read-models/data-summary';

/**
 * Once a run is over, the overview's figures for the table it left (a full scan when a load changed
 * it), so the control panel's first viewer does not wait for them. Never fails the command.
 */
export async function computeOverviewFigures(pool: pg.Pool, log: Logger): Promise<void> {
  await loadDataSummary(pool).catch((error: unknown) => log.log('warn', `overview figures: ${error instanceof Error ? error.message : String(error)}`));
}
