import { z } from 'zod';

/**
 * A client of Airflow's stable REST API: v1 (Airflow 2.x, basic auth) and v2 (Airflow 3.x,
 * bearer token from POST /auth/token). Only the calls stockflow needs; responses are checked
 * with zod at the boundary.
 */

export type AirflowApiVersion = 'v1' | 'v2';

export interface AirflowClientOptions {
  baseUrl: string;
  /** Detected from the server when not given (see apiVersion()). */
  apiVersion?: AirflowApiVersion;
  username?: string;
  password?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

export class AirflowApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly operation: string,
  ) {
    super(`Airflow ${operation} failed: HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'AirflowApiError';
  }
}

const dagRunSchema = z.object({
  dag_run_id: z.string(),
  dag_id: z.string(),
  state: z.string().nullable().optional(),
  conf: z.record(z.string(), z.unknown()).nullable().optional(),
  start_date: z.string().nullable().optional(),
  end_date: z.string().nullable().optional(),
  queued_at: z.string().nullable().optional(),
  logical_date: z.string().nullable().optional(),
  run_type: z.string().optional(),
  note: z.string().nullable().optional(),
});
export type AirflowDagRun = z.infer<typeof dagRunSchema>;

const dagRunCollectionSchema = z.object({ dag_runs: z.array(dagRunSchema), total_entries: z.number() });

const taskInstanceSchema = z.object({
  task_id: z.string(),
  /** -1 for a task that is not mapped (or not expanded yet); else the mapped instance, from 0. */
  map_index: z.number().optional(),
  state: z.string().nullable().optional(),
  try_number: z.number().optional(),
  start_date: z.string().nullable().optional(),
  end_date: z.string().nullable().optional(),
  duration: z.number().nullable().optional(),
});
export type AirflowTaskInstance = z.infer<typeof taskInstanceSchema>;

/** Airflow's default [api] maximum_page_limit: a larger limit is cut to it. */
const TASK_INSTANCE_PAGE = 100;

const taskInstanceCollectionSchema = z.object({ task_instances: z.array(taskInstanceSchema), total_entries: z.number() });

const logSchema = z.object({
  continuation_token: z.string().nullable().optional(),
  content: z.union([z.string(), z.array(z.union([z.string(), z.object({ event: z.string(), timestamp: z.string().optional(), level: z.string().optional() }).loose()]))]),
});

export interface AirflowLogChunk {
  lines: Array<{ at: string | null; level: string | null; message: string }>;
  continuationToken: string | null;
}

const tokenSchema = z.object({ access_token: z.string() });

export class AirflowClient {
  private version: AirflowApiVersion | undefined;
  /** The probe in flight, shared by concurrent callers; cleared when it ends, so a failure is retried. */
  private probe: Promise<AirflowApiVersion> | null = null;
  private token: string | null = null;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: AirflowClientOptions) {
    this.version = options.apiVersion;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * The API version in use. When not configured it is asked until the server answers: v2 when
   * GET /api/v2/version answers, v1 only on positive evidence (GET /api/v1/health answers, which
   * Airflow 3 does not serve). A server that is down pins nothing: the next call asks again.
   */
  async apiVersion(): Promise<AirflowApiVersion> {
    if (this.version) return this.version;
    this.probe ??= this.detectVersion().finally(() => {
      this.probe = null;
    });
    this.version = await this.probe;
    return this.version;
  }

  private async detectVersion(): Promise<AirflowApiVersion> {
    const ask = async (path: string): Promise<{ status: number; detail: string }> => {
      try {
        const response = await this.fetchImpl(`${this.options.baseUrl}${path}`, { headers: { accept: 'application/json' }, signal: this.timeout() });
        await response.body?.cancel();
        return { status: response.status, detail: `HTTP ${response.status}` };
      } catch (error) {
        return { status: 0, detail: error instanceof Error ? error.message : String(error) };
      }
    };
    const v2 = await ask('/api/v2/version');
    if (v2.status === 200) return 'v2';
    const v1 = await ask('/api/v1/health');
    if (v1.status === 200) return 'v1';
    // Airflow 3 routes before it authenticates: a refusal still says /api/v2 exists.
    if (v2.status === 401 || v2.status === 403) return 'v2';
    throw new Error(`No Airflow API answered at ${this.options.baseUrl} (GET /api/v2/version: ${v2.detail}; GET /api/v1/health: ${v1.detail}); asking again on the next call`);
  }

  private timeout(): AbortSignal {
    return AbortSignal.timeout(this.options.timeoutMs ?? 15_000);
  }

  private async authorization(refresh = false): Promise<string | null> {
    const version = await this.apiVersion();
    const { username, password } = this.options;
    if (version === 'v1') return username === undefined ? null : `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    if (!this.token || refresh) {
      if (username === undefined) return null;
      const response = await this.fetchImpl(`${this.options.baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username, password: password ?? '' }),
        signal: this.timeout(),
      });
      if (!response.ok) throw new AirflowApiError(response.status, await errorDetail(response), 'sign-in (POST /auth/token)');
      this.token = tokenSchema.parse(await response.json()).access_token;
    }
    return `Bearer ${this.token}`;
  }

  private async call<T>(
    operation: string,
    method: string,
    path: string,
    options: { query?: Record<string, string | number | boolean | undefined>; body?: unknown; schema?: z.ZodType<T> } = {},
  ): Promise<T> {
    const response = await this.send(operation, method, path, options);
    if (!options.schema) return undefined as T;
    const parsed = options.schema.safeParse(await response.json());
    if (!parsed.success) throw new Error(`Airflow ${operation}: unexpected response: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  /** One API request, signed in; a non-2xx answer throws AirflowApiError. */
  private async send(operation: string, method: string, path: string, options: { query?: Record<string, string | number | boolean | undefined>; body?: unknown; accept?: string }): Promise<Response> {
    const version = await this.apiVersion();
    const url = new URL(`${this.options.baseUrl}/api/${version}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const send = async (refresh: boolean): Promise<Response> => {
      const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
      const authorization = await this.authorization(refresh);
      if (authorization) headers.authorization = authorization;
      if (options.body !== undefined) headers['content-type'] = 'application/json';
      return this.fetchImpl(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), signal: this.timeout() });
    };
    let response = await send(false);
    // A v2 token expires; get a new one once.
    if (response.status === 401 && version === 'v2') response = await send(true);
    if (!response.ok) throw new AirflowApiError(response.status, await errorDetail(response), operation);
    return response;
  }

  private dagPath(dagId: string, rest = ''): string {
    return `/dags/${encodeURIComponent(dagId)}${rest}`;
  }

  /** Triggers a DAG run; created is false when that dag_run_id exists already (HTTP 409). */
  async triggerDagRun(dagId: string, request: { dagRunId: string; conf?: Record<string, unknown>; note?: string }): Promise<{ run: AirflowDagRun | null; created: boolean }> {
    const version = await this.apiVersion();
    // Airflow 3 requires logical_date in the body (null: the run is not tied to a data interval).
    const body =
      version === 'v2'
        ? { dag_run_id: request.dagRunId, logical_date: null, conf: request.conf ?? {}, ...(request.note ? { note: request.note } : {}) }
        : { dag_run_id: request.dagRunId, conf: request.conf ?? {}, ...(request.note ? { note: request.note } : {}) };
    try {
      const run = await this.call('trigger DAG run', 'POST', this.dagPath(dagId, '/dagRuns'), { body, schema: dagRunSchema });
      return { run, created: true };
    } catch (error) {
      if (error instanceof AirflowApiError && error.status === 409) return { run: null, created: false };
      throw error;
    }
  }

  listDagRuns(dagId: string, options: { limit: number; offset: number; state?: string; startFrom?: string; startTo?: string }): Promise<z.infer<typeof dagRunCollectionSchema>> {
    return this.call('list DAG runs', 'GET', this.dagPath(dagId, '/dagRuns'), {
      query: { limit: options.limit, offset: options.offset, order_by: '-start_date', state: options.state, start_date_gte: options.startFrom, start_date_lte: options.startTo },
      schema: dagRunCollectionSchema,
    });
  }

  async getDagRun(dagId: string, dagRunId: string): Promise<AirflowDagRun | null> {
    try {
      return await this.call('get DAG run', 'GET', this.dagPath(dagId, `/dagRuns/${encodeURIComponent(dagRunId)}`), { schema: dagRunSchema });
    } catch (error) {
      if (error instanceof AirflowApiError && error.status === 404) return null;
      throw error;
    }
  }

  /**
   * Every task instance of a run, mapped instances included (a sharded run has one per shard and
   * step), read page by page: Airflow answers at most 100 per request ([api] maximum_page_limit).
   */
  async listTaskInstances(dagId: string, dagRunId: string): Promise<AirflowTaskInstance[]> {
    const path = this.dagPath(dagId, `/dagRuns/${encodeURIComponent(dagRunId)}/taskInstances`);
    const instances: AirflowTaskInstance[] = [];
    for (;;) {
      const page = await this.call('list task instances', 'GET', path, { query: { limit: TASK_INSTANCE_PAGE, offset: instances.length }, schema: taskInstanceCollectionSchema });
      instances.push(...page.task_instances);
      if (page.task_instances.length === 0 || instances.length >= page.total_entries) break;
    }
    // Pages are ordered by map_index alone (v2's default; v1 takes no order): an instance may
    // come twice when the run changed between two pages.
    const seen = new Set<string>();
    return instances.filter((instance) => {
      const key = `${instance.task_id}#${instance.map_index ?? -1}`;
      return !seen.has(key) && Boolean(seen.add(key));
    });
  }

  /**
   * One chunk of a task try's log; pass the continuation token back for the next chunk. A mapped
   * instance's log needs its map index (both APIs take it as the `map_index` query parameter).
   */
  async getTaskLog(dagId: string, dagRunId: string, taskId: string, tryNumber: number, continuationToken?: string | null, mapIndex = -1): Promise<AirflowLogChunk> {
    const path = this.dagPath(dagId, `/dagRuns/${encodeURIComponent(dagRunId)}/taskInstances/${encodeURIComponent(taskId)}/logs/${tryNumber}`);
    const map_index = mapIndex >= 0 ? mapIndex : undefined;
    if ((await this.apiVersion()) === 'v1') return this.getTextLog(path, continuationToken ?? null, map_index);
    const log = await this.call('read task log', 'GET', path, {
      query: { full_content: false, map_index, token: continuationToken ?? undefined },
      schema: logSchema,
    });
    const entries = typeof log.content === 'string' ? log.content.split('\n').filter((line) => line !== '') : log.content;
    return {
      lines: entries.map((entry) => (typeof entry === 'string' ? { at: null, level: null, message: entry } : { at: entry.timestamp ?? null, level: entry.level ?? null, message: entry.event })),
      continuationToken: log.continuation_token ?? null,
    };
  }

  /**
   * Airflow 2's JSON `content` is Python's str() of a list of (host, text) tuples; its text/plain
   * answer is the log itself, each chunk after a line naming the worker host, but whole every time
   * and without a continuation token. So the token here is ours: how many lines were already
   * returned (never sent to Airflow).
   */
  private async getTextLog(path: string, continuationToken: string | null, mapIndex: number | undefined): Promise<AirflowLogChunk> {
    const response = await this.send('read task log', 'GET', path, { query: { full_content: true, map_index: mapIndex }, accept: 'text/plain' });
    const [host, ...rest] = (await response.text()).split(/\r?\n/);
    const lines = rest.filter((line) => line !== '' && line !== host);
    const seen = /^lines:(\d+)$/.exec(continuationToken ?? '');
    const from = seen ? Number(seen[1]) : 0;
    return { lines: lines.slice(from).map(parseAirflow2Line), continuationToken: `lines:${Math.max(from, lines.length)}` };
  }

  /** Clears a run's failed task instances so the scheduler runs them again (not a dry run). */
  async clearFailedTasks(dagId: string, dagRunId: string): Promise<void> {
    await this.call('clear task instances', 'POST', this.dagPath(dagId, '/clearTaskInstances'), {
      body: { dry_run: false, only_failed: true, dag_run_id: dagRunId, reset_dag_runs: true },
    });
  }

  async setDagRunState(dagId: string, dagRunId: string, state: 'success' | 'failed' | 'queued'): Promise<void> {
    await this.call('update DAG run state', 'PATCH', this.dagPath(dagId, `/dagRuns/${encodeURIComponent(dagRunId)}`), { body: { state } });
  }

  async setPaused(dagId: string, paused: boolean): Promise<void> {
    await this.call('pause or unpause DAG', 'PATCH', this.dagPath(dagId), { body: { is_paused: paused } });
  }

  /** Scheduler and metadatabase health as Airflow reports it. */
  async health(): Promise<{ metadatabase: string; scheduler: string }> {
    const version = await this.apiVersion();
    const schema = z
      .object({
        metadatabase: z.object({ status: z.string().nullable().optional() }).loose(),
        scheduler: z.object({ status: z.string().nullable().optional() }).loose(),
      })
      .loose();
    const health = await this.call('health', 'GET', version === 'v2' ? '/monitor/health' : '/health', { schema });
    return { metadatabase: health.metadatabase.status ?? 'unknown', scheduler: health.scheduler.status ?? 'unknown' };
  }
}

/** Airflow 2's default log format: "[2026-11-25T10:00:00.123+0000] {file.py:12} INFO - message". */
function parseAirflow2Line(line: string): AirflowLogChunk['lines'][number] {
  const match = /^\[(\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?)\] \{[^}]*\} ([A-Z]+) - (.*)$/.exec(line);
  if (!match) return { at: null, level: null, message: line };
  const at = new Date(
    match[1]!
      .replace(' ', 'T')
      .replace(',', '.')
      .replace(/([+-]\d\d)(\d\d)$/, '$1:$2'),
  );
  return { at: Number.isNaN(at.getTime()) ? null : at.toISOString(), level: match[2]!.toLowerCase(), message: match[3]! };
}

async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown };
    const detail = body.detail ?? body.title;
    return typeof detail === 'string' ? detail : JSON.stringify(detail ?? body);
  } catch {
    return text.slice(0, 300);
  }
}
