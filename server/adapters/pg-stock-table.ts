import { finished, pipeline } from 'node:stream/promises';

import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

import { withClient } from '../db/checked-out';
import { readNamedQueries } from '../db/sql-files';
import { inShard, isWholeRun } from '../pipeline/shard';
import type {
  AppendedCompanies,
  DataChanges,
  LoadedFile,
  LoadedVersion,
  LoadResult,
  LoadSource,
  PrepareOptions,
  ReplaceCompaniesInput,
  ReplaceScope,
  ReplaceSession,
  StockTable,
} from '../ports/stock-table';
import { addedOnlyChangeRows, type CompanyChangeRow, dataChangesOf } from './data-changes';
import { companiesLoadedFrom, loadedVersions, recordLoadedFiles, refuseChangedBases } from './loaded-files';

const queries = readNamedQueries('insert_query.sql');

// A batch of at least this share of the table is loaded by rebuilding it (see insert_query.sql):
// building indexes once beats updating five of them row by row (BENCHMARKS.md).
const BULK_SHARE = 0.25;

// A failed load vacuums only when the table is free: a load that has it vacuums in its turn.
const VACUUM_LOCK_WAIT_MS = 200;

/**
 * How the bulk path waits for its exclusive lock at the swap. A reader holding the table (an export,
 * a long page query) would otherwise keep the load waiting, and every new reader queued behind the
 * load: each try waits at most `lockTimeoutMs`, then lets readers through and tries again.
 */
export interface SwapLockPolicy {
  lockTimeoutMs: number;
  tries: number;
  retryDelayMs: number;
}

export const DEFAULT_SWAP_LOCK: SwapLockPolicy = { lockTimeoutMs: 2_000, tries: 15, retryDelayMs: 2_000 };

/** historical_stocks_data in PostgreSQL: replaces the batch's companies atomically. */
export class PgStockTable implements StockTable {
  constructor(
    private readonly pool: pg.Pool,
    private readonly swapLock: SwapLockPolicy = DEFAULT_SWAP_LOCK,
  ) {}

  async replaceCompanies(input: ReplaceCompaniesInput): Promise<LoadResult> {
    const session = await this.beginReplace(input.companies, { estimatedRows: input.expectedRows, scope: input.scope, source: input.source });
    const appended = input.appended ?? new Map();
    try {
      await pipeline(input.rows, session.rows, { signal: input.signal });
    } catch (error) {
      await session.abort();
      throw error;
    }
    return session.commit(input.expectedRows, { signal: input.signal, onPhase: input.onPhase, afterCommit: input.afterCommit, appended });
  }

  wouldRebuild(estimatedRows: number): Promise<boolean> {
    return this.shouldRebuild(this.pool, estimatedRows);
  }

  companiesLoadedFrom(files: ReadonlyArray<Omit<LoadedFile, 'transformVersion'>>, transformVersion: number): Promise<Set<string>> {
    return companiesLoadedFrom(this.pool, files, transformVersion);
  }

  loadedVersions(files: ReadonlyArray<{ company: string; key: string }>, transformVersion: number): Promise<Map<string, LoadedVersion>> {
    return loadedVersions(this.pool, files, transformVersion);
  }

  async beginReplace(companies: readonly string[], options: { estimatedRows?: number; scope?: ReplaceScope; source?: LoadSource } = {}): Promise<ReplaceSession> {
    const scope: ReplaceScope = options.scope ?? { mode: 'companies', demo: false };
    // A shard replaces only within its own companies: together the shards replace the whole table.
    const replaceAll = scope.mode === 'replace' && isWholeRun(scope.shard);
    const replaceShard = scope.mode === 'replace' && !replaceAll;
    const client = await this.pool.connect();
    // Errors also reach the pending query or COPY; this only keeps a dropped connection from crashing the process.
    const ignore = (): void => {};
    client.on('error', ignore);
    let released = false;
    const release = (broken: boolean): void => {
      if (released) return;
      released = true;
      client.off('error', ignore);
      client.release(broken);
    };
    let bulk = false;
    const rollback = async (): Promise<void> => {
      if (released) return;
      let broken = false;
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if (!broken) await dropStagedRows();
      release(broken);
    };
    // The incremental path's staged rows outlive its transaction (made before it): gone with the load.
    const dropStagedRows = (): Promise<unknown> => (bulk ? Promise.resolve() : client.query(queries.drop_rows_new!).catch(() => {}));
    // Bulk path: the session that creates and fills the new table (see openFiller).
    let filler: Helper | null = null;
    // The batch's companies plus the others whose rows go: demo companies when real data arrives.
    let affected: string[] = [...companies];
    let companiesRemoved = 0;
    let tableOid = 0;
    // Other loads wait here for this one's commit; then the companies it replaces are fixed.
    const takeTable = async (): Promise<void> => {
      await client.query(queries.lock_table!);
      tableOid = (await client.query<{ oid: number }>(queries.table_oid!)).rows[0]!.oid;
      if (replaceShard || !scope.demo) {
        const outside = (await client.query<{ company_name: string }>(replaceShard ? queries.companies_outside_batch! : queries.demo_companies_outside_batch!, [companies])).rows
          .map((row) => row.company_name)
          .filter((company) => inShard(company, scope.shard));
        affected = [...companies, ...outside];
        companiesRemoved = outside.length;
      }
    };
    try {
      // Only the batch's own rows: a whole-table replace is a rebuild whatever the batch's size.
      bulk = await this.shouldRebuild(client, replaceAll ? Number.MAX_SAFE_INTEGER : options.estimatedRows);
      // The incremental path stages its rows before it takes the table (loads queued as shards
      // stage side by side). Its temporary table is made outside the transaction: made inside, its
      // LIKE would keep a lock on the table that a bulk load's swap waits for, while this load
      // waits for that bulk load to commit.
      if (!bulk) {
        await client.query(queries.drop_rows_new!);
        await client.query(queries.create_rows_new!);
      }
      await client.query('BEGIN');
      if (bulk) {
        await takeTable();
        filler = await this.openFiller();
      }
    } catch (error) {
      await rollback();
      throw error;
    }
    const copy = (filler?.client ?? client).query(copyFrom(bulk ? queries.copy_rows_next! : queries.copy_rows_new!));
    // pg-copy-streams emits a server-side COPY error without marking the stream errored: keep the
    // first one to report at commit (later writes fail with less telling errors).
    let copyError: Error | null = null;
    copy.on('error', (error: Error) => {
      copyError ??= error;
    });
    // Set once the rows are complete: the work before the COMMIT (prepare, or commit itself).
    let prepared: Promise<Prepared> | null = null;
    // Stops builds not yet started when the session is aborted during prepare.
    const stopBuilds = new AbortController();
    // Named with the rows (prepare or commit): the files as read, and the companies that only gain rows.
    let files = options.source?.files ?? [];
    let appendedTo: AppendedCompanies = new Map();
    const prepareWork = async (expectedRows: number, { onPhase, rowsByCompany, appended = new Map(), files: filesRead }: PrepareOptions): Promise<Prepared> => {
      if (filesRead) files = filesRead;
      appendedTo = appended;
      if (copyError) throw copyError;
      if (!copy.writableEnded) copy.end();
      await finished(copy).catch((error: unknown) => {
        throw copyError ?? error;
      });
      const rowsLoaded = Number(copy.rowCount);
      if (rowsLoaded !== expectedRows) {
        throw new Error(`COPY loaded ${rowsLoaded} rows but the transform step wrote ${expectedRows}; nothing was changed`);
      }
      if (!bulk) {
        // Statistics for the joins below, taken before the table (nothing else reads these rows).
        await client.query(queries.analyze_rows_new!);
        await takeTable();
        onPhase?.('putting in the rows that differ');
        const applied = await this.applyDifferences(client, { affected, replaceAll, expectedRows, appended });
        return { expectedRows, rowsLoaded, changes: applied.changes, rowsReplaced: applied.rowsReplaced, rowsWritten: applied.rowsWritten, next: null };
      }
      const load = { affected, replaceAll, expectedRows, rowsByCompany, appended };
      const built = await this.buildNextTable(client, filler!, load, stopBuilds.signal, onPhase);
      return { expectedRows, rowsLoaded, changes: built.changes, rowsReplaced: built.rowsReplaced, rowsWritten: null, next: built };
    };
    const start = (expectedRows: number, options: PrepareOptions): Promise<Prepared> => {
      prepared ??= prepareWork(expectedRows, options);
      prepared.catch(() => {});
      return prepared;
    };
    // Undoes everything after a failure (or an abort once rows are complete): nothing of it stays visible.
    const undo = async (): Promise<void> => {
      await filler?.rollback();
      await rollback();
      if (bulk) await this.dropNextTable();
    };
    return {
      rows: copy,
      prepare(expectedRows, options = {}) {
        void start(expectedRows, options);
      },
      commit: async (expectedRows, { signal, onPhase, rowsByCompany, afterCommit, appended, files: filesRead } = {}) => {
        try {
          const ready = await start(expectedRows, { onPhase, rowsByCompany, appended, files: filesRead });
          if (ready.expectedRows !== expectedRows) {
            throw new Error(`the load was prepared for ${ready.expectedRows} rows but committed for ${expectedRows}; nothing was changed`);
          }
          const { changes, rowsLoaded, rowsReplaced } = ready;
          // Under the table lock: the appended companies' rows are still those of the version this run checked its files against.
          await refuseChangedBases(client, appendedTo);
          if (ready.next) {
            await this.swapIn(client, ready.next, onPhase);
            filler = null;
          }
          if (replaceAll) companiesRemoved = changes.totals.companiesRemoved;
          await this.recordDemoCompanies(client, companies, scope);
          await recordLoadedFiles(client, { runId: options.source?.runId, files, affected, replaceAll });
          signal?.throwIfAborted();
          const nextLoadWaiting = await client.query<{ waiting: boolean }>(queries.load_waiting!, [tableOid]).then(
            (result) => result.rows[0]?.waiting === true,
            () => false,
          );
          // The incremental path knows what it wrote (a batch identical to the table writes nothing).
          const changed = ready.rowsWritten === null ? rowsLoaded > 0 || rowsReplaced > 0 || companiesRemoved > 0 : ready.rowsWritten > 0;
          if (changed) await client.query(queries.bump_table_version!);
          onPhase?.('committing');
          await client.query('COMMIT');
          // Committed: nothing below may roll back or fail the load. afterLoad ignores its own failures;
          // afterCommit keeps its own for its caller (CommitOptions), so a rejection is not this load's.
          const housekeeping = this.afterLoad(client, { changed, newTable: ready.next !== null, nextLoadWaiting }, onPhase);
          await Promise.all([housekeeping, afterCommit?.().catch(() => {})]);
          await dropStagedRows();
          release(false);
          const written = ready.rowsWritten === null ? {} : { rowsWritten: ready.rowsWritten };
          return { rowsLoaded, rowsReplaced, companies: companies.length, strategy: bulk ? 'bulk' : 'incremental', ...written, mode: scope.mode, companiesRemoved, changes };
        } catch (error) {
          await undo();
          if (!signal?.aborted) await this.vacuumAfterFailure(onPhase);
          throw error;
        }
      },
      async abort() {
        if (prepared) {
          // Builds already running finish (PostgreSQL would not notice a dropped connection before);
          // none starts after this.
          stopBuilds.abort();
          await prepared.catch(() => {});
          await undo();
          return;
        }
        if (!copy.destroyed) copy.destroy(new Error('load aborted'));
        // A destroyed COPY leaves the connection mid-protocol: drop it rather than reuse it.
        filler?.release(true);
        await client.query('ROLLBACK').catch(() => {});
        release(true);
      },
    };
  }

  /**
   * Fresh planner statistics after a load (row estimates, index choices, the next load's bulk or
   * incremental choice), and a visibility map that covers the new rows (index-only scans). Left to
   * the next load when one waits for the table (insert_query.sql, load_waiting); a load that changed
   * nothing vacuums what such loads before it left.
   */
  private async afterLoad(client: pg.PoolClient, load: { changed: boolean; newTable: boolean; nextLoadWaiting: boolean }, onPhase?: (phase: string) => void): Promise<void> {
    if (load.nextLoadWaiting) {
      onPhase?.('leaving VACUUM and ANALYZE to the load waiting for the table');
      return;
    }
    // A new table has no statistics yet, whatever changed: this load's (bulk path), or one a bulk
    // load before it swapped in and left to it.
    const analyze = load.changed || load.newTable || !(await this.hasStatistics(client));
    onPhase?.(analyze ? 'vacuuming and analyzing' : 'vacuuming');
    const vacuum = load.newTable ? queries.vacuum_analyze_new_table! : analyze ? queries.vacuum_analyze_table! : queries.vacuum_table!;
    // Housekeeping after the commit: the load's outcome stands whether or not it succeeds.
    await client.query(vacuum).catch(() => {});
  }

  private async hasStatistics(client: pg.PoolClient): Promise<boolean> {
    const result = await client.query<{ analyzed: boolean }>(queries.table_has_statistics!).catch(() => null);
    // Unknown counts as present: ANALYZE is then left to autovacuum, as before.
    return result?.rows[0]?.analyzed ?? true;
  }

  /**
   * A load that fails may be the last of a queue whose earlier loads left VACUUM and ANALYZE to it
   * (afterLoad): it does them, unless another load has the table by then (the lock does not come
   * within VACUUM_LOCK_WAIT), which then vacuums in turn. Best effort: the load's own error stands.
   */
  private async vacuumAfterFailure(onPhase?: (phase: string) => void): Promise<void> {
    // A load often fails because the server went away: withClient keeps a connection dropped under
    // the VACUUM from ending the process.
    await withClient(this.pool, async (client) => {
      await client.query(`SET lock_timeout = ${VACUUM_LOCK_WAIT_MS}`);
      onPhase?.('rolled back; vacuuming and analyzing for the loads before it');
      await client.query(queries.vacuum_analyze_table!);
      await client.query('RESET lock_timeout');
    }).catch(() => {});
  }

  /** What the bulk load changes, per company: a FULL JOIN of old and new rows, or only a count when no old row goes. */
  private async changeRows(client: pg.PoolClient, load: ChangeInput): Promise<CompanyChangeRow[]> {
    const rowsBefore = (await client.query<{ exist: boolean }>(queries.rows_before_exist!, [load.affected, load.replaceAll])).rows[0]!.exist;
    if (!rowsBefore) {
      const counted = load.rowsByCompany && [...load.rowsByCompany.values()].reduce((total, rows) => total + rows, 0) === load.expectedRows;
      if (counted) return addedOnlyChangeRows(load.rowsByCompany!);
      return (await client.query<CompanyChangeRow>(queries.added_only_bulk!, [load.affected, load.replaceAll])).rows;
    }
    return (await client.query<CompanyChangeRow>(queries.changes_bulk!, [load.affected, load.replaceAll])).rows;
  }

  /**
   * Incremental path, once the rows are in the temporary table (analyzed) and the table is taken: deletes the old rows no new row
   * repeats exactly, inserts the new rows not already there (insert_query.sql), and counts what changed.
   * rowsReplaced: the batch companies' rows before, kept or not.
   */
  private async applyDifferences(
    client: pg.PoolClient,
    load: Pick<ChangeInput, 'affected' | 'replaceAll' | 'expectedRows' | 'appended'>,
  ): Promise<{ changes: DataChanges; rowsReplaced: number; rowsWritten: number }> {
    const duplicate = (await client.query<{ company: string; day: string }>(queries.duplicate_new_key!)).rows[0];
    if (duplicate) throw new Error(`duplicate key: two rows for ${duplicate.company} on ${duplicate.day} in the batch; nothing was changed`);
    await client.query(queries.create_rows_before!);
    // Appended companies keep the rows the batch does not name; only a named day that differs is replaced.
    const appended = [...load.appended.keys()];
    const replaced = appended.length === 0 ? load.affected : load.affected.filter((company) => !load.appended.has(company));
    let deleted = (await client.query(queries.delete_differing_rows!, [replaced, load.replaceAll])).rowCount ?? 0;
    if (appended.length > 0) deleted += (await client.query(queries.delete_differing_appended_rows!, [appended])).rowCount ?? 0;
    const inserted = (await client.query<{ company: string; rows: string }>(queries.insert_new_rows!)).rows;
    const insertedRows = inserted.reduce((total, row) => total + Number(row.rows), 0);
    const rowsReplaced = deleted + load.expectedRows - insertedRows;
    const rowsWritten = deleted + insertedRows;
    if (rowsReplaced === 0) {
      // Nothing the batch names was there before: every row is added (appended companies keep theirs).
      const added = new Map(inserted.map((row) => [row.company, Number(row.rows)]));
      return { changes: dataChangesOf(withRowsKept(addedOnlyChangeRows(added), load.appended)), rowsReplaced, rowsWritten };
    }
    const counts = await client.query<CompanyChangeRow>(queries.changes_incremental!, [inserted.map((row) => row.company), inserted.map((row) => row.rows)]);
    return { changes: dataChangesOf(withRowsKept(counts.rows, load.appended)), rowsReplaced, rowsWritten };
  }

  /** Bulk path when the batch is a large share of the table and nothing (a view) depends on the table. */
  private async shouldRebuild(client: pg.Pool | pg.PoolClient, estimatedRows: number | undefined): Promise<boolean> {
    if (estimatedRows === undefined) return false;
    const size = await client.query<{ rows: string }>(queries.table_size_estimate!);
    if (estimatedRows < BULK_SHARE * Number(size.rows[0]?.rows ?? 0)) return false;
    const views = await client.query<{ views: number }>(queries.dependent_views!);
    return views.rows[0]!.views === 0;
  }

  /** Real data replaces demo data; demo data is remembered as such (same transaction as the rows). */
  private async recordDemoCompanies(client: pg.PoolClient, companies: readonly string[], scope: ReplaceScope): Promise<void> {
    if (!scope.demo || scope.mode === 'replace') {
      if (isWholeRun(scope.shard)) await client.query(queries.forget_demo_companies!);
      else {
        const demo = (await client.query<{ company_name: string }>(queries.demo_companies_outside_batch!, [[]])).rows.map((row) => row.company_name);
        await client.query(queries.forget_demo_companies_named!, [demo.filter((company) => inShard(company, scope.shard))]);
      }
    }
    if (scope.demo) await client.query(queries.remember_demo_companies!, [companies]);
  }

  /**
   * Bulk path: a session of its own creates the new table and COPYs into it (FREEZE: same
   * transaction), while the load's transaction holds the table lock. A table left by a load that
   * died is dropped first: only the holder of that lock creates one.
   */
  private async openFiller(): Promise<Helper> {
    const filler = await Helper.open(this.pool);
    try {
      await filler.client.query(queries.drop_next_table!);
      await filler.client.query('BEGIN');
      await filler.client.query(queries.create_next_table!);
      return filler;
    } catch (error) {
      await filler.rollback();
      throw error;
    }
  }

  /**
   * Completes the new table (other companies' rows, keys, indexes) and compares it with the old
   * one, inside the load's transaction (`client`); swapIn then puts it in place before the COMMIT:
   * readers see the old table until then, and nothing changes if anything fails. The filled table
   * is committed under its own name first so that two sessions can build its keys and indexes at
   * once (both cores busy: a parallel index build leaves one idle while its leader merges and
   * writes the tree), beside the comparison with the old rows.
   */
  private async buildNextTable(client: pg.PoolClient, filler: Helper, load: ChangeInput, stop: AbortSignal, onPhase?: (phase: string) => void): Promise<NextTable> {
    // Counted on the load's session while the filler copies the other companies' rows over.
    const counting = client.query<{ rows: string }>(queries.count_rows!);
    counting.catch(() => {});
    let kept = 0;
    const helpers: Helper[] = [filler];
    let failure: unknown = null;
    try {
      if (!load.replaceAll) {
        onPhase?.("keeping the other companies' rows");
        // Appended companies' rows stay as well: the batch holds only their new ones.
        const replaced = load.affected.filter((company) => !load.appended.has(company));
        kept = (await filler.client.query(queries.keep_other_companies!, [replaced])).rowCount ?? 0;
      }
      const before = Number((await counting).rows[0]!.rows);
      await filler.client.query('COMMIT');
      const constraints = (await client.query<{ name: string; kind: 'p' | 'u'; index: string }>(queries.key_constraints!)).rows;
      const indexes = (await client.query<{ name: string; definition: string }>(queries.plain_indexes!)).rows;
      // Keys are built as unique indexes, then become the constraints at the swap (USING INDEX).
      const builds = longestFirst([...constraints.map((constraint) => ({ name: constraint.name, definition: constraint.index })), ...indexes]);
      const statements = builds.map((build) => {
        const definition = build.definition.replace(
          /^CREATE (UNIQUE )?INDEX (\S+) ON (ONLY )?public\.historical_stocks_data /,
          (_match, unique: string | undefined) => `CREATE ${unique ?? ''}INDEX ${quote(`${build.name}_next`)} ON public.historical_stocks_data_next `,
        );
        if (definition === build.definition) throw new Error(`Cannot rebuild index ${build.name}: unexpected definition ${build.definition}`);
        return { name: build.name, definition };
      });
      // A second session only with a connection to spare: waiting for one held by this load itself would never end.
      const sessions = INDEX_SESSIONS > 1 && spareConnection(this.pool) ? INDEX_SESSIONS : 1;
      onPhase?.(`building ${constraints.length} keys and ${indexes.length} indexes in ${sessions} session${sessions === 1 ? '' : 's'}`);
      let next = 0;
      const buildIndexes = async (helper: Helper): Promise<void> => {
        while (failure === null && next < statements.length) {
          if (stop.aborted) throw new Error('load aborted');
          const statement = statements[next++]!;
          onPhase?.(`building ${statement.name}`);
          await helper.client.query('BEGIN');
          await helper.client.query(queries.index_build_memory!);
          await helper.client.query(statement.definition);
          await helper.client.query('COMMIT');
        }
      };
      const builders = [buildIndexes(filler)];
      for (let session = 1; session < sessions; session += 1) {
        builders.push(
          Helper.open(this.pool).then((helper) => {
            helpers.push(helper);
            return buildIndexes(helper);
          }),
        );
      }
      // The comparison reads both tables beside the builds (the load's transaction sees the committed new table).
      onPhase?.('comparing with the rows before');
      const comparing = this.changeRows(client, load).then(dataChangesOf);
      // The first failure stops the other builds from starting another index; all settle before the rollback.
      const settled = await Promise.allSettled([comparing, ...builders].map((work) => work.catch((error: unknown) => Promise.reject((failure ??= error)))));
      if (settled.some((result) => result.status === 'rejected')) throw failure;
      // Each helper committed its builds: the sessions go back to the pool.
      for (const helper of helpers) helper.release(false);
      return { changes: await comparing, rowsReplaced: before - kept, constraints, indexes };
    } catch (error) {
      await counting.catch(() => {});
      // Builds already running were awaited above (a failure only stops new ones from starting).
      await Promise.all(helpers.map((helper) => helper.rollback()));
      throw error;
    }
  }

  /** The built table in place of the old one, within the load's transaction (its COMMIT follows). */
  private async swapIn(client: pg.PoolClient, next: NextTable, onPhase?: (phase: string) => void): Promise<void> {
    onPhase?.('swapping the new table in');
    await this.lockForSwap(client);
    await client.query(queries.drop_old_table!);
    await client.query(queries.rename_next_table!);
    for (const constraint of next.constraints) {
      const kind = constraint.kind === 'p' ? 'PRIMARY KEY' : 'UNIQUE';
      await client.query(`ALTER TABLE public.historical_stocks_data ADD CONSTRAINT ${quote(constraint.name)} ${kind} USING INDEX ${quote(`${constraint.name}_next`)}`);
    }
    for (const index of next.indexes) await client.query(`ALTER INDEX public.${quote(`${index.name}_next`)} RENAME TO ${quote(index.name)}`);
  }

  /**
   * After a failed bulk load's rollback: drops the new table it may have committed, if the table
   * lock is free at once (else another load holds it, and drops the table itself before making its own).
   */
  private async dropNextTable(): Promise<void> {
    const helper = await Helper.open(this.pool).catch(() => null);
    if (!helper) return;
    try {
      await helper.client.query('BEGIN');
      await helper.client.query(queries.lock_table_nowait!);
      await helper.client.query(queries.drop_next_table!);
      await helper.client.query('COMMIT');
      helper.release(false);
    } catch {
      await helper.rollback();
    }
  }

  /** ACCESS EXCLUSIVE on the table within a savepoint, a short wait per try (SwapLockPolicy). */
  private async lockForSwap(client: pg.PoolClient): Promise<void> {
    const { lockTimeoutMs, tries, retryDelayMs } = this.swapLock;
    for (let attempt = 1; ; attempt += 1) {
      await client.query('SAVEPOINT swap_lock');
      try {
        await client.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
        await client.query(queries.lock_for_swap!);
        await client.query('SET LOCAL lock_timeout = 0');
        await client.query('RELEASE SAVEPOINT swap_lock');
        return;
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT swap_lock');
        // 55P03: lock_not_available (our timeout). Anything else is a real error.
        if ((error as { code?: string }).code !== '55P03' || attempt >= tries) {
          throw (error as { code?: string }).code === '55P03'
            ? new Error(`readers held historical_stocks_data for ${tries} tries of ${lockTimeoutMs} ms: the load could not swap the table in; nothing was changed`)
            : error;
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
      }
    }
  }
}

/** How many sessions build the bulk path's keys and indexes at once. */
const INDEX_SESSIONS = 2;

/**
 * The table's keys and indexes, longest build first, single-threaded on the real sample (s, 2 M
 * rows, 2026-11-27): value_change 2.45 (few distinct values: ties compare the name), date 1.8
 * (covering), close 1.6, percent 1.46, volume 1.22, key 1.18, formula_names 0.22. Taken longest
 * first, the two sessions end together (by name they ended ~0.9 s apart, one core idle meanwhile).
 */
const BUILD_ORDER = [
  'historical_stocks_value_change',
  'historical_stocks_date',
  'historical_stocks_close',
  'historical_stocks_percent',
  'historical_stocks_volume',
  'historical_stocks_data_pkey',
  'historical_stocks_formula_names',
];

/** Builds in BUILD_ORDER; an index it does not know (added by hand) first, its cost being unknown. */
function longestFirst<T extends { name: string }>(builds: readonly T[]): T[] {
  const rank = (build: T): number => BUILD_ORDER.indexOf(build.name);
  return [...builds].sort((a, b) => rank(a) - rank(b));
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The bulk path's new table, complete and compared, not yet in place. */
interface NextTable {
  changes: DataChanges;
  rowsReplaced: number;
  constraints: Array<{ name: string; kind: 'p' | 'u' }>;
  indexes: Array<{ name: string }>;
}

/** The rows are complete and the work before the COMMIT is done (the bulk path: `next` built). */
interface Prepared {
  expectedRows: number;
  rowsLoaded: number;
  changes: DataChanges;
  rowsReplaced: number;
  /** Rows the incremental path deleted or inserted; null on the bulk path (a new table). */
  rowsWritten: number | null;
  next: NextTable | null;
}

interface ChangeInput {
  affected: string[];
  replaceAll: boolean;
  expectedRows: number;
  rowsByCompany?: ReadonlyMap<string, number>;
  appended: AppendedCompanies;
}

/** The incremental counts see only staged rows: an appended company's rows kept as they were are unchanged rows too. */
function withRowsKept(rows: readonly CompanyChangeRow[], appended: AppendedCompanies): CompanyChangeRow[] {
  if (appended.size === 0) return [...rows];
  const seen = new Set<string>();
  const counted = rows.map((row) => {
    seen.add(row.company);
    const kept = appended.get(row.company)?.rowsBefore;
    return kept === undefined ? row : { ...row, matched: String(Number(row.matched) + kept) };
  });
  for (const [company, { rowsBefore }] of appended) if (!seen.has(company) && rowsBefore > 0) counted.push({ company, added: '0', removed: '0', changed: '0', matched: String(rowsBefore) });
  return counted;
}

/** Whether the pool can hand out one more connection without waiting for one to be released. */
function spareConnection(pool: pg.Pool): boolean {
  return pool.idleCount > 0 || pool.totalCount < (pool.options.max ?? 10);
}

/** A pooled session of the bulk path besides the load's own (filling the new table, building indexes). */
class Helper {
  private released = false;
  private readonly ignore = (): void => {};

  private constructor(readonly client: pg.PoolClient) {
    client.on('error', this.ignore);
  }

  static async open(pool: pg.Pool): Promise<Helper> {
    return new Helper(await pool.connect());
  }

  async rollback(): Promise<void> {
    if (this.released) return;
    let broken = false;
    await this.client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    this.release(broken);
  }

  release(broken: boolean): void {
    if (this.released) return;
    this.released = true;
    this.client.off('error', this.ignore);
    this.client.release(broken);
  }
}
