import type pg from 'pg';

import { createPool } from '../db/pool';
import type { DatabaseTlsSettings } from '../db/tls';

/**
 * CSV exports run on a pool of their own, so downloads nobody reads cannot take the connections
 * pages and loads need: few connections, a statement timeout, and an idle-in-transaction timeout
 * that ends an export whose reader stopped reading (its open transaction would otherwise hold a
 * snapshot, and a lock a load's swap waits for). One user may run a couple at a time.
 */
export const EXPORT_LIMITS = { connections: 3, perUser: 2, statementTimeoutMs: 120_000, idleInTransactionTimeoutMs: 30_000 };

export function createExportPool(databaseUrl: string, tls: DatabaseTlsSettings | undefined, limits = EXPORT_LIMITS): pg.Pool {
  return createPool(databaseUrl, { max: limits.connections, tls, statementTimeoutMs: limits.statementTimeoutMs, idleInTransactionTimeoutMs: limits.idleInTransactionTimeoutMs });
}

/** Counts running exports per user in this process; `acquire` is false past the limit. */
export class ExportSlots {
  private readonly running = new Map<string, number>();

  constructor(private readonly perUser = EXPORT_LIMITS.perUser) {}

  acquire(userId: string): (() => void) | null {
    const now = this.running.get(userId) ?? 0;
    if (now >= this.perUser) return null;
    this.running.set(userId, now + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.running.get(userId) ?? 1) - 1;
      if (left > 0) this.running.set(userId, left);
      else this.running.delete(userId);
    };
  }
}
