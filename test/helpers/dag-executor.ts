import { spawn } from 'node:child_process';

import type { DagShape, DagTask, RenderContext } from './dag-file';
import { callTaskAsync, renderTaskAsync } from './dag-file';

/**
 * Executes one run of the DAG file the way Airflow's scheduler and an executor would, for tests
 * on a machine without Airflow: the tasks, their commands, dependencies, trigger rules, retries and
 * mappings all come from the DAG file (inspect_dag.py). Each try of a bash task is rendered by
 * Jinja2 with the run's id, try number and conf and runs as its own `bash -c` process, stderr into
 * stdout, its last line pushed as XCom (BashOperator); a TaskFlow task's function is called with
 * its upstream XComs; a mapped task runs one instance per item of the list it is mapped over, all
 * at once (enough worker slots), and counts as failed when any instance failed.
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
  /** mapIndex: -1 for a task that is not mapped, else the instance (0-based). */
  onTaskState?(taskId: string, state: TaskState, logLines: string[], mapIndex: number): void;
}

export interface TaskInstanceResult {
  state: TaskState;
  tries: number;
  output: string[];
}

export interface DagRunResult {
  state: 'success' | 'failed';
  /** A mapped task's state and tries sum up its instances (tries: the most any instance took). */
  tasks: Record<string, TaskInstanceResult & { instances?: TaskInstanceResult[] }>;
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

/** As BashOperator (SubprocessHook): `bash -c` in a session of its own, stderr into stdout. */
function runCommand(command: string, env: Record<string, string | undefined>, timeoutSeconds: number | null): Promise<{ code: number; output: string[]; lastLine: string }> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', 'exec bash -c "$0" 2>&1', command], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    // Airflow ends a task past its execution_timeout with SIGTERM to its process group.
    const timer = timeoutSeconds
      ? setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            // already gone
          }
        }, timeoutSeconds * 1000)
      : null;
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      const lines = text.replace(/\n$/, '').split('\n');
      resolve({ code: code ?? 1, output: lines.filter((line) => line !== ''), lastLine: lines[lines.length - 1] ?? '' });
    });
  });
}

export async function executeDagRun(options: DagRunOptions): Promise<DagRunResult> {
  const { dag } = options;
  const tasks: DagRunResult['tasks'] = {};
  const xcom = new Map<string, unknown>();
  const state = (id: string): TaskState | undefined => tasks[id]?.state;
  const set = (id: string, next: TaskState, lines: string[] = []): void => {
    tasks[id] ??= { state: next, tries: 0, output: [] };
    tasks[id]!.state = next;
    tasks[id]!.output.push(...lines);
    options.onTaskState?.(id, next, lines, -1);
  };

  /** Tries one instance up to 1 + retries times; `attempt` runs one try. */
  async function withRetries(
    task: DagTask,
    instance: TaskInstanceResult,
    report: (next: TaskState, lines: string[]) => void,
    attempt: (tryNumber: number) => Promise<{ ok: boolean; output: string[] }>,
  ): Promise<void> {
    const maxTries = task.retries + 1;
    for (let tryNumber = 1; tryNumber <= maxTries; tryNumber += 1) {
      instance.tries = tryNumber;
      report('running', []);
      const { ok, output } = await attempt(tryNumber);
      if (ok) return report('success', output);
      if (tryNumber === maxTries) return report('failed', output);
      report('up_for_retry', output);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 0));
    }
  }

  function bashAttempt(task: DagTask, context: Omit<RenderContext, 'try_number'>, pushXcom: boolean) {
    return async (tryNumber: number) => {
      const rendered = await renderTaskAsync(task.task_id, { ...context, try_number: tryNumber });
      const env: Record<string, string | undefined> = rendered.env === null ? options.env : rendered.append_env ? { ...options.env, ...rendered.env } : rendered.env;
      const { code, output, lastLine } = await runCommand(rendered.command, env, task.execution_timeout);
      if (code === 0 && pushXcom && task.do_xcom_push) xcom.set(task.task_id, lastLine);
      return { ok: code === 0, output };
    };
  }

  async function runTask(task: DagTask): Promise<void> {
    const context = { run_id: options.runId, conf: options.conf };
    tasks[task.task_id] = { state: 'running', tries: 0, output: [] };
    const whole = tasks[task.task_id]!;
    const report = (next: TaskState, lines: string[]) => set(task.task_id, next, lines);
    if (task.kind === 'python') {
      const args = (task.args ?? []).map((arg) => (typeof arg === 'string' ? xcom.get(arg) : arg.literal));
      return withRetries(task, whole, report, async () => {
        const called = await callTaskAsync(task.task_id, args);
        if (called.ok) xcom.set(task.task_id, called.result);
        return { ok: called.ok, output: called.ok ? [] : called.error.split('\n') };
      });
    }
    if (!task.expand) return withRetries(task, whole, report, bashAttempt(task, context, true));

    // A mapped task: one instance per item of the list(s) it is mapped over (Airflow: the product;
    // one mapped argument here).
    const entries = Object.entries(task.expand);
    if (entries.length !== 1) throw new Error(`the test executor maps over one argument only (${task.task_id})`);
    const [argument, source] = entries[0]!;
    const items = xcom.get(source);
    if (!Array.isArray(items)) return report('failed', [`${source} pushed ${JSON.stringify(items)}, not a list to map ${task.task_id} over`]);
    if (items.length === 0) return report('skipped', []);
    whole.instances = items.map(() => ({ state: 'running' as TaskState, tries: 0, output: [] }));
    await Promise.all(
      items.map((item, mapIndex) => {
        const instance = whole.instances![mapIndex]!;
        const reportInstance = (next: TaskState, lines: string[]) => {
          instance.state = next;
          instance.output.push(...lines);
          whole.output.push(...lines);
          whole.tries = Math.max(...whole.instances!.map((candidate) => candidate.tries));
          options.onTaskState?.(task.task_id, next, lines, mapIndex);
        };
        return withRetries(task, instance, reportInstance, bashAttempt(task, { ...context, map_index: mapIndex, expanded: { [argument]: item } }, false));
      }),
    );
    whole.state = whole.instances.some((instance) => FAILED.has(instance.state)) ? 'failed' : 'success';
  }

  for (;;) {
    const waiting = dag.tasks.filter((task) => state(task.task_id) === undefined);
    if (waiting.length === 0) break;
    const ready = waiting.filter((task) => task.upstream.every((id) => DONE.has(state(id)!)));
    if (ready.length === 0) throw new Error(`no task can start: ${waiting.map((task) => task.task_id).join(', ')} wait on each other`);
    // Every task whose upstream is done runs at once (a mapped upstream is done when all its instances are).
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
