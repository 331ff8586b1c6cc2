import { spawn } from 'node:child_process';

import type { DagShape, DagTask } from './dag-file';
import { renderTaskCommandAsync } from './dag-file';

/**
 * Executes one run of the DAG file the way Airflow's scheduler and LocalExecutor would, for tests
 * on a machine without Airflow: the tasks, their commands, dependencies, trigger rules and retries
 * all come from the DAG file (inspect_dag.py); each try's command is rendered by Jinja2 with the
 * run's id, try number and conf, and runs as its own `bash -c` process.
 */

export type TaskState = 'running' | 'success' | 'failed' | 'up_for_retry' | 'upstream_failed' | 'skipped';

export interface DagRunOptions {
  dag: DagShape;
  runId: string;
  conf: Record<string, unknown>;
  /** The task processes' environment (the worker container's). */
  env: NodeJS.ProcessEnv;
  /** Airflow waits retry_delay between tries; tests compress it. */
  retryDelayMs?: number;
  onTaskState?(taskId: string, state: TaskState, logLines: string[]): void;
}

export interface DagRunResult {
  state: 'success' | 'failed';
  tasks: Record<string, { state: TaskState; tries: number; output: string[] }>;
}

const FAILED = new Set<TaskState>(['failed', 'upstream_failed']);
const DONE = new Set<TaskState>(['success', 'failed', 'upstream_failed', 'skipped']);

/** What a task whose upstream tasks are all done does under its trigger rule. */
function decide(task: DagTask, upstream: TaskState[]): 'run' | 'skipped' | 'upstream_failed' {
  switch (task.trigger_rule) {
    case 'all_success':
      if (upstream.some((state) => FAILED.has(state))) return 'upstream_failed';
      return upstream.every((state) => state === 'success') ? 'run' : 'skipped';
    case 'all_done':
      return 'run';
    case 'one_failed':
      return upstream.some((state) => FAILED.has(state)) ? 'run' : 'skipped';
    default:
      throw new Error(`the test executor does not know trigger rule ${task.trigger_rule} (task ${task.task_id})`);
  }
}

function runCommand(command: string, env: NodeJS.ProcessEnv, timeoutSeconds: number | null): Promise<{ code: number; output: string[] }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    // Airflow ends a task past its execution_timeout with SIGTERM.
    const timer = timeoutSeconds ? setTimeout(() => child.kill('SIGTERM'), timeoutSeconds * 1000) : null;
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 1, output: text.split('\n').filter((line) => line !== '') });
    });
  });
}

export async function executeDagRun(options: DagRunOptions): Promise<DagRunResult> {
  const { dag } = options;
  const tasks: DagRunResult['tasks'] = {};
  const state = (id: string): TaskState | undefined => tasks[id]?.state;
  const set = (id: string, next: TaskState, lines: string[] = []): void => {
    tasks[id] ??= { state: next, tries: 0, output: [] };
    tasks[id]!.state = next;
    tasks[id]!.output.push(...lines);
    options.onTaskState?.(id, next, lines);
  };

  async function runTask(task: DagTask): Promise<void> {
    const maxTries = task.retries + 1;
    for (let tryNumber = 1; tryNumber <= maxTries; tryNumber += 1) {
      set(task.task_id, 'running');
      tasks[task.task_id]!.tries = tryNumber;
      const command = await renderTaskCommandAsync(task.task_id, { run_id: options.runId, try_number: tryNumber, conf: options.conf });
      const { code, output } = await runCommand(command, options.env, task.execution_timeout);
      if (code === 0) return set(task.task_id, 'success', output);
      if (tryNumber === maxTries) return set(task.task_id, 'failed', output);
      set(task.task_id, 'up_for_retry', output);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 0));
    }
  }

  for (;;) {
    const waiting = dag.tasks.filter((task) => state(task.task_id) === undefined);
    if (waiting.length === 0) break;
    const ready = waiting.filter((task) => task.upstream.every((id) => DONE.has(state(id)!)));
    if (ready.length === 0) throw new Error(`no task can start: ${waiting.map((task) => task.task_id).join(', ')} wait on each other`);
    // Like the LocalExecutor, every task whose upstream is done runs at once.
    await Promise.all(
      ready.map(async (task) => {
        const decision = decide(
          task,
          task.upstream.map((id) => state(id)!),
        );
        if (decision === 'run') await runTask(task);
        else set(task.task_id, decision);
      }),
    );
  }
  // Airflow's rule: a run fails when any leaf task failed.
  const leaves = dag.tasks.filter((task) => !dag.tasks.some((other) => other.upstream.includes(task.task_id)));
  return { state: leaves.some((task) => FAILED.has(state(task.task_id)!)) ? 'failed' : 'success', tasks };
}
