import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { resolve } from 'node:path';

import { OpenApiValidator, type Violation } from './openapi-validator';

/**
 * A small fake Airflow for client tests. Every request is validated against Airflow's official
 * OpenAPI document for the version (../shared/specs) before it is answered, and every answer is
 * validated too; both kinds of problem are collected in `violations`, which tests assert empty.
 */

const SPECS = resolve(process.env.STOCKFLOW_SPECS_DIR ?? '../shared/specs');
const USER = { username: 'admin', password: 'secret' };

interface FakeTask {
  taskId: string;
  /** -1: not mapped (or not expanded yet); else the mapped instance, from 0. */
  mapIndex: number;
  state: string | null;
  tryNumber: number;
  logs: Map<number, string[]>;
}

interface FakeRun {
  dagRunId: string;
  state: string;
  conf: Record<string, unknown>;
  queuedAt: string;
  startDate: string | null;
  endDate: string | null;
  note: string | null;
  tasks: FakeTask[];
}

interface Reply {
  status: number;
  body?: unknown;
  contentType?: string;
}

export interface AirflowStub {
  url: string;
  version: 'v1' | 'v2';
  violations: Violation[];
  /** Every call the stub saw, as "METHOD path". */
  calls: string[];
  runs: Map<string, FakeRun>;
  paused: boolean;
  /** A mapIndex >= 0 expands the task: its unexpanded instance (-1) gives way to the mapped ones. */
  setTask(dagRunId: string, taskId: string, state: string, logLines?: string[], mapIndex?: number): void;
  close(): Promise<void>;
}

export interface AirflowStubOptions {
  dagId?: string;
  taskIds?: string[];
  logChunk?: number;
  /** Called once per new DAG run (after the trigger is answered), e.g. to execute the DAG's tasks. */
  onTrigger?(run: { dagRunId: string; conf: Record<string, unknown> }): void;
  /** Listen here instead of a free port (a client started before its Airflow). */
  port?: number;
}

export async function startAirflowStub(version: 'v1' | 'v2', options: AirflowStubOptions = {}): Promise<AirflowStub> {
  const dagId = options.dagId ?? 'stockflow_pipeline';
  const taskIds = options.taskIds ?? ['discover', 'transform', 'load', 'notify'];
  const logChunk = options.logChunk ?? 3;
  const validators =
    version === 'v1'
      ? [new OpenApiValidator(`${SPECS}/airflow-v1.yaml`, '/api/v1')]
      : [new OpenApiValidator(`${SPECS}/airflow-v2.yaml`, ''), new OpenApiValidator(`${SPECS}/airflow-v2-simple-auth.yaml`, '')];
  const tokens = new Set<string>();
  const stub: AirflowStub = {
    url: '',
    version,
    violations: [],
    calls: [],
    runs: new Map(),
    paused: true,
    setTask(dagRunId, taskId, state, logLines = [], mapIndex = -1) {
      const run = stub.runs.get(dagRunId)!;
      let task = run.tasks.find((candidate) => candidate.taskId === taskId && candidate.mapIndex === mapIndex);
      if (!task) {
        if (mapIndex < 0) throw new Error(`the stub has no task ${taskId}`);
        task = { taskId, mapIndex, state: null, tryNumber: 0, logs: new Map() };
        const unexpanded = run.tasks.findIndex((candidate) => candidate.taskId === taskId && candidate.mapIndex === -1);
        if (unexpanded >= 0) run.tasks.splice(unexpanded, 1, task);
        else run.tasks.splice(run.tasks.findLastIndex((candidate) => candidate.taskId === taskId) + 1, 0, task);
      }
      if (state === 'running') task.tryNumber += 1;
      task.state = state;
      const lines = task.logs.get(task.tryNumber) ?? [];
      task.logs.set(task.tryNumber, [...lines, ...logLines]);
      run.state = run.tasks.some((candidate) => candidate.state === 'failed') ? 'failed' : run.tasks.every((candidate) => candidate.state === 'success') ? 'success' : 'running';
      run.startDate ??= new Date().toISOString();
      if (run.state === 'success' || run.state === 'failed') run.endDate = new Date().toISOString();
    },
    close: () =>
      new Promise((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };

  const now = (): string => new Date().toISOString();
  const error = (status: number, detail: string): Reply => (version === 'v1' ? { status, body: { type: 'about:blank', title: detail, status, detail } } : { status, body: { detail } });

  const dagRunJson = (run: FakeRun): unknown =>
    version === 'v1'
      ? {
          dag_run_id: run.dagRunId,
          dag_id: dagId,
          logical_date: run.queuedAt,
          execution_date: run.queuedAt,
          start_date: run.startDate,
          end_date: run.endDate,
          data_interval_start: null,
          data_interval_end: null,
          last_scheduling_decision: null,
          run_type: 'manual',
          state: run.state,
          external_trigger: true,
          conf: run.conf,
          note: run.note,
        }
      : {
          dag_run_id: run.dagRunId,
          dag_id: dagId,
          logical_date: null,
          queued_at: run.queuedAt,
          start_date: run.startDate,
          end_date: run.endDate,
          duration: null,
          data_interval_start: null,
          data_interval_end: null,
          run_after: run.queuedAt,
          last_scheduling_decision: null,
          run_type: 'manual',
          state: run.state,
          triggered_by: 'rest_api',
          triggering_user_name: USER.username,
          conf: run.conf,
          note: run.note,
          dag_versions: [],
          bundle_version: null,
          dag_display_name: dagId,
        };

  const taskJson = (run: FakeRun, task: FakeTask): unknown =>
    version === 'v1'
      ? {
          task_id: task.taskId,
          dag_id: dagId,
          dag_run_id: run.dagRunId,
          execution_date: run.queuedAt,
          start_date: run.startDate,
          end_date: null,
          duration: null,
          state: task.state,
          try_number: task.tryNumber,
          map_index: task.mapIndex,
          max_tries: 2,
          hostname: 'airflow-worker',
          unixname: 'airflow',
          pool: 'default_pool',
          pool_slots: 1,
          queue: 'default',
          priority_weight: 1,
          operator: 'BashOperator',
          queued_when: null,
          pid: null,
          executor_config: '{}',
          sla_miss: null,
          rendered_map_index: null,
          rendered_fields: {},
          trigger: null,
          triggerer_job: null,
          note: null,
        }
      : {
          id: randomUUID(),
          task_id: task.taskId,
          dag_id: dagId,
          dag_run_id: run.dagRunId,
          map_index: task.mapIndex,
          logical_date: null,
          run_after: run.queuedAt,
          start_date: run.startDate,
          end_date: null,
          duration: null,
          state: task.state,
          try_number: task.tryNumber,
          max_tries: 2,
          task_display_name: task.taskId,
          dag_display_name: dagId,
          hostname: 'airflow-worker',
          unixname: 'airflow',
          pool: 'default_pool',
          pool_slots: 1,
          queue: 'default',
          priority_weight: 1,
          operator: 'BashOperator',
          operator_name: 'BashOperator',
          queued_when: null,
          scheduled_when: null,
          pid: null,
          executor: null,
          executor_config: '{}',
          note: null,
          rendered_map_index: null,
          trigger: null,
          triggerer_job: null,
          dag_version: null,
        };

  const authorized = (request: IncomingMessage): boolean => {
    const header = request.headers.authorization ?? '';
    if (version === 'v1') return header === `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
    return header.startsWith('Bearer ') && tokens.has(header.slice('Bearer '.length));
  };

  const handle = (operationId: string, params: Record<string, string>, query: URLSearchParams, body: Record<string, unknown>, accept = ''): Reply => {
    const run = params.dag_run_id ? stub.runs.get(params.dag_run_id) : undefined;
    // Airflow 2 lists no runs for an unknown DAG rather than failing (its spec declares no 404 there).
    if (params.dag_id && params.dag_id !== dagId && operationId === 'get_dag_runs' && version === 'v1') return { status: 200, body: { dag_runs: [], total_entries: 0 } };
    if (params.dag_id && params.dag_id !== dagId) return error(404, `DAG ${params.dag_id} not found`);
    if (params.dag_run_id && !run) return error(404, `DAGRun ${params.dag_run_id} not found`);
    switch (operationId) {
      case 'get_version':
        return { status: 200, body: version === 'v1' ? { version: '2.10.5', git_version: null } : { version: '3.0.2', git_version: null } };
      case 'get_health':
        return {
          status: 200,
          body:
            version === 'v1'
              ? { metadatabase: { status: 'healthy' }, scheduler: { status: 'healthy', latest_scheduler_heartbeat: now() } }
              : {
                  metadatabase: { status: 'healthy' },
                  scheduler: { status: 'healthy', latest_scheduler_heartbeat: now() },
                  triggerer: { status: null, latest_triggerer_heartbeat: null },
                  dag_processor: null,
                },
        };
      case 'post_dag_run':
      case 'trigger_dag_run': {
        const id = String(body.dag_run_id ?? `manual__${now()}`);
        if (stub.runs.has(id)) return error(409, `DAGRun with dag_run_id: '${id}' already exists`);
        const created: FakeRun = {
          dagRunId: id,
          state: 'queued',
          conf: (body.conf as Record<string, unknown>) ?? {},
          queuedAt: now(),
          startDate: null,
          endDate: null,
          note: (body.note as string) ?? null,
          tasks: taskIds.map((taskId) => ({ taskId, mapIndex: -1, state: null, tryNumber: 0, logs: new Map() })),
        };
        stub.runs.set(id, created);
        if (options.onTrigger) setImmediate(() => options.onTrigger!({ dagRunId: id, conf: created.conf }));
        return { status: 200, body: dagRunJson(created) };
      }
      case 'get_dag_runs': {
        const limit = Number(query.get('limit') ?? 100);
        const offset = Number(query.get('offset') ?? 0);
        const states = query.getAll('state');
        const all = [...stub.runs.values()].filter((candidate) => states.length === 0 || states.includes(candidate.state)).reverse();
        return { status: 200, body: { dag_runs: all.slice(offset, offset + limit).map(dagRunJson), total_entries: all.length } };
      }
      case 'get_dag_run':
        return { status: 200, body: dagRunJson(run!) };
      case 'update_dag_run_state':
      case 'patch_dag_run': {
        if (body.state) run!.state = String(body.state);
        return { status: 200, body: dagRunJson(run!) };
      }
      case 'get_task_instances': {
        // Airflow's default page: 100 (v1) or 50 (v2); both cap it at 100 ([api] maximum_page_limit).
        const limit = Math.min(Number(query.get('limit') ?? (version === 'v1' ? 100 : 50)), 100);
        const offset = Number(query.get('offset') ?? 0);
        return { status: 200, body: { task_instances: run!.tasks.slice(offset, offset + limit).map((task) => taskJson(run!, task)), total_entries: run!.tasks.length } };
      }
      case 'get_log': {
        const mapIndex = Number(query.get('map_index') ?? -1);
        const task = run!.tasks.find((candidate) => candidate.taskId === params.task_id && candidate.mapIndex === mapIndex);
        if (!task) return error(404, `Task ${params.task_id} (map index ${mapIndex}) not found`);
        const lines = task.logs.get(Number(params.task_try_number ?? params.try_number)) ?? [];
        // Airflow 2 streams the whole log as text/plain (the token's position is ignored), each
        // source's chunk after a line naming its host.
        if (version === 'v1' && accept.includes('text/plain')) return { status: 200, contentType: 'text/plain', body: ['airflow-worker', ...lines].map((line) => `${line}\n`).join('') };
        const start = query.get('token') ? Number(Buffer.from(query.get('token')!, 'base64url').toString()) : 0;
        const chunk = lines.slice(start, start + logChunk);
        const next = start + chunk.length;
        const token = Buffer.from(String(next)).toString('base64url');
        return {
          status: 200,
          body:
            version === 'v1'
              ? { continuation_token: token, content: chunk.map((line) => `${line}\n`).join('') }
              : { continuation_token: token, content: chunk.map((line) => ({ timestamp: now(), event: line, level: 'info' })) },
        };
      }
      case 'post_clear_task_instances': {
        const target = stub.runs.get(String(body.dag_run_id));
        if (!target) return error(404, 'DAGRun not found');
        const cleared = target.tasks.filter((task) => (body.only_failed === false ? true : task.state === 'failed' || task.state === 'upstream_failed'));
        if (body.dry_run === false) {
          for (const task of cleared) task.state = null;
          target.state = 'queued';
        }
        const references = cleared.map((task) => (version === 'v1' ? { task_id: task.taskId, dag_id: dagId, execution_date: target.queuedAt, dag_run_id: target.dagRunId } : taskJson(target, task)));
        return { status: 200, body: version === 'v1' ? { task_instances: references } : { task_instances: references, total_entries: references.length } };
      }
      case 'patch_dag': {
        stub.paused = Boolean(body.is_paused);
        return {
          status: 200,
          body:
            version === 'v1'
              ? { dag_id: dagId, is_paused: stub.paused }
              : {
                  dag_id: dagId,
                  dag_display_name: dagId,
                  is_paused: stub.paused,
                  is_stale: false,
                  last_parsed_time: null,
                  last_parse_duration: null,
                  last_expired: null,
                  bundle_name: null,
                  bundle_version: null,
                  relative_fileloc: null,
                  fileloc: 'dags/stockflow_pipeline.py',
                  description: null,
                  timetable_summary: null,
                  timetable_description: null,
                  tags: [],
                  max_active_tasks: 16,
                  max_active_runs: 1,
                  max_consecutive_failed_dag_runs: 0,
                  has_task_concurrency_limits: false,
                  has_import_errors: false,
                  next_dagrun_logical_date: null,
                  next_dagrun_data_interval_start: null,
                  next_dagrun_data_interval_end: null,
                  next_dagrun_run_after: null,
                  owners: ['stockflow'],
                  file_token: 'x',
                },
        };
      }
      default:
        return error(501, `the stub does not implement ${operationId}`);
    }
  };

  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://stub');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = undefined;
    const hasBody = raw.length > 0;
    if (hasBody) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const where = `${request.method} ${url.pathname}${url.search}`;
    stub.calls.push(`${request.method} ${url.pathname}`);
    const validator = validators.find((candidate) => candidate.match(request.method!, url.pathname)) ?? validators[0]!;
    let checked: ReturnType<OpenApiValidator['validateRequest']>;
    try {
      checked = validator.validateRequest({ method: request.method!, path: url.pathname, query: url.searchParams, body, hasBody });
    } catch (failure) {
      stub.violations.push({ where: `validator failure on ${where}`, problems: [String(failure)] });
      response.writeHead(500).end();
      return;
    }
    let reply: Reply;
    if (!checked.operationId && version === 'v1' && url.pathname === '/api/v2/version') {
      // The client's version probe: an Airflow 2 server has no /api/v2 and answers 404.
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"detail":"Not Found"}');
      return;
    }
    if (checked.problems.length > 0) {
      stub.violations.push({ where: `request ${where}`, problems: checked.problems });
      reply = checked.operationId
        ? version === 'v1'
          ? error(400, checked.problems.join('; '))
          : { status: 422, body: { detail: checked.problems.map((problem) => ({ loc: ['body'], msg: problem, type: 'value_error' })) } }
        : error(404, 'Not Found');
    } else if (checked.operationId === 'create_token') {
      const credentials = body as { username?: string; password?: string };
      if (credentials.username === USER.username && credentials.password === USER.password) {
        const token = randomUUID();
        tokens.add(token);
        reply = { status: 201, body: { access_token: token } };
      } else {
        reply = { status: 401, body: { detail: 'Invalid credentials' } };
      }
    } else if (!['get_version', 'get_health'].includes(checked.operationId!) && !authorized(request)) {
      reply = version === 'v1' ? error(401, 'Unauthorized') : { status: 401, body: { detail: 'Not authenticated' } };
    } else {
      try {
        reply = handle(checked.operationId!, checked.params, url.searchParams, (body ?? {}) as Record<string, unknown>, request.headers.accept ?? '');
      } catch (failure) {
        stub.violations.push({ where: `stub failure on ${where}`, problems: [String(failure)] });
        reply = error(500, String(failure));
      }
    }
    const contentType = reply.contentType ?? 'application/json';
    if (!(checked.problems.length > 0 && !checked.operationId)) {
      const problems = validator.validateResponse(request.method!, url.pathname, reply.status, contentType, reply.body);
      if (problems.length > 0) stub.violations.push({ where: `response to ${where}`, problems });
    }
    response.writeHead(reply.status, { 'content-type': contentType });
    response.end(reply.body === undefined ? '' : contentType === 'text/plain' && typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolveListen) => server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen()));
  const address = server.address();
  stub.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return stub;
}

export const STUB_USER = USER;
