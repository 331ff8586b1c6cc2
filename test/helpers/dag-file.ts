import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Reads the Airflow DAG file through infra/airflow/tests/inspect_dag.py (Debian's python3 with Jinja2). */

export const DAG_FILE = 'infra/airflow/dags/stockflow_pipeline.py';
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const INSPECT = 'infra/airflow/tests/inspect_dag.py';

/** Which Airflow's module paths the stand-in offers (the DAG imports either). */
export type FakeAirflow = '2' | '3';

export interface DagTask {
  task_id: string;
  /** bash: a BashOperator; python: a TaskFlow task (its function runs through callTask). */
  kind: 'bash' | 'python';
  bash_command: string | null;
  upstream: string[];
  trigger_rule: string;
  retries: number;
  execution_timeout: number | null;
  /** A mapped task: each mapped argument and the task whose output (a list) it is mapped over. */
  expand: Record<string, string> | null;
  /** A TaskFlow task's arguments: the task whose output each is, or {literal}. */
  args: Array<string | { literal: unknown }> | null;
  append_env: boolean | null;
  do_xcom_push: boolean;
  map_index_template: string | null;
}

export interface DagShape {
  dag_id: string;
  schedule: unknown;
  catchup: boolean | null;
  max_active_runs: number;
  dagrun_timeout: number | null;
  callbacks: string[];
  tasks: DagTask[];
}

export interface RenderContext {
  run_id: string;
  try_number: number;
  conf: Record<string, unknown>;
  /** A mapped task's instance: its index and its mapped arguments (e.g. {env: {...}}). */
  map_index?: number;
  expanded?: Record<string, unknown>;
}

export interface RenderedTask {
  command: string;
  /** The instance's `env` (BashOperator: with append_env, laid over the worker's environment). */
  env: Record<string, string> | null;
  append_env: boolean;
  /** A mapped instance's name as Airflow shows it (its map_index_template rendered), else null. */
  map_index_label: string | null;
}

function inspectEnv(airflow: FakeAirflow): NodeJS.ProcessEnv {
  return { ...process.env, STOCKFLOW_FAKE_AIRFLOW: airflow };
}

export function inspectDag(file = DAG_FILE, airflow: FakeAirflow = '2'): DagShape {
  return JSON.parse(execFileSync(PYTHON, [INSPECT, file], { encoding: 'utf8', env: inspectEnv(airflow) })) as DagShape;
}

/** One task's bash_command rendered by Jinja2 with Airflow's template context for a try, and its env. */
export function renderTask(taskId: string, context: RenderContext, file = DAG_FILE): RenderedTask {
  return JSON.parse(execFileSync(PYTHON, [INSPECT, file, 'render', taskId, JSON.stringify(context)], { encoding: 'utf8' })) as RenderedTask;
}

/** One task's bash_command rendered by Jinja2 with Airflow's template context for a try. */
export function renderTaskCommand(taskId: string, context: RenderContext, file = DAG_FILE): string {
  return renderTask(taskId, context, file).command;
}

/** renderTask without blocking the process (tests that serve s3rver in-process need the loop free). */
export function renderTaskAsync(taskId: string, context: RenderContext, file = DAG_FILE): Promise<RenderedTask> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [INSPECT, file, 'render', taskId, JSON.stringify(context)], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`rendering ${taskId} failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as RenderedTask);
    });
  });
}

export async function renderTaskCommandAsync(taskId: string, context: RenderContext, file = DAG_FILE): Promise<string> {
  return (await renderTaskAsync(taskId, context, file)).command;
}

export type CallResult = { ok: true; result: unknown } | { ok: false; error: string };

/** A TaskFlow task's function called with `args` (its upstream tasks' XComs), as the worker would. */
export function callTaskAsync(taskId: string, args: unknown[], file = DAG_FILE): Promise<CallResult> {
  return new Promise((resolve) => {
    execFile(PYTHON, [INSPECT, file, 'call', taskId, JSON.stringify(args)], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) resolve({ ok: false, error: stderr.trim() || error.message });
      else resolve({ ok: true, result: (JSON.parse(stdout) as { result: unknown }).result });
    });
  });
}

export function callTask(taskId: string, args: unknown[], file = DAG_FILE): CallResult {
  try {
    const stdout = execFileSync(PYTHON, [INSPECT, file, 'call', taskId, JSON.stringify(args)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, result: (JSON.parse(stdout) as { result: unknown }).result };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr;
    return { ok: false, error: stderr?.trim() || String(error) };
  }
}
