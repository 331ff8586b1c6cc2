import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Reads the Airflow DAG file through infra/airflow/tests/inspect_dag.py (Debian's python3 with Jinja2). */

export const DAG_FILE = 'infra/airflow/dags/stockflow_pipeline.py';
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const INSPECT = 'infra/airflow/tests/inspect_dag.py';

export interface DagTask {
  task_id: string;
  bash_command: string;
  upstream: string[];
  trigger_rule: string;
  retries: number;
  execution_timeout: number | null;
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

export function inspectDag(file = DAG_FILE): DagShape {
  return JSON.parse(execFileSync(PYTHON, [INSPECT, file], { encoding: 'utf8' })) as DagShape;
}

/** One task's bash_command rendered by Jinja2 with Airflow's template context for a try. */
export function renderTaskCommand(taskId: string, context: { run_id: string; try_number: number; conf: Record<string, unknown> }, file = DAG_FILE): string {
  const rendered = JSON.parse(execFileSync(PYTHON, [INSPECT, file, 'render', taskId, JSON.stringify(context)], { encoding: 'utf8' })) as { command: string };
  return rendered.command;
}

/** renderTaskCommand without blocking the process (tests that serve s3rver in-process need the loop free). */
export function renderTaskCommandAsync(taskId: string, context: { run_id: string; try_number: number; conf: Record<string, unknown> }, file = DAG_FILE): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [INSPECT, file, 'render', taskId, JSON.stringify(context)], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`rendering ${taskId} failed: ${stderr || error.message}`));
      else resolve((JSON.parse(stdout) as { command: string }).command);
    });
  });
}
