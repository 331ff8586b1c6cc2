import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { STEP_NAMES } from '../../server/pipeline/steps';

const DAG_FILE = 'infra/airflow/dags/stockflow_pipeline.py';
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

interface DagShape {
  dag_id: string;
  schedule: unknown;
  max_active_runs: number;
  tasks: Array<{ task_id: string; bash_command: string; downstream: string[] }>;
  callback_commands: string[][];
}

describe('the Airflow DAG', () => {
  it('compiles', () => {
    execFileSync(PYTHON, ['-m', 'py_compile', DAG_FILE]);
  });

  it("runs exactly the CLI's steps, in order, through the stockflow command", () => {
    const dag = JSON.parse(execFileSync(PYTHON, ['infra/airflow/tests/inspect_dag.py', DAG_FILE], { encoding: 'utf8' })) as DagShape;
    assert.equal(dag.dag_id, 'stockflow_pipeline');
    assert.equal(dag.schedule, null, 'event-triggered: no schedule');
    assert.equal(dag.max_active_runs, 1);
    const dataSteps = STEP_NAMES.filter((step) => step !== 'notify');
    assert.deepEqual(dag.tasks.map((task) => task.task_id), dataSteps);
    for (const task of dag.tasks) assert.equal(task.bash_command, `stockflow step ${task.task_id} --run-id '{{ run_id }}'`);
    assert.deepEqual(dag.tasks.map((task) => task.downstream), [['transform'], ['load'], []]);
    // Success and failure both run the notify step, which reads the run's outcome itself.
    assert.deepEqual(dag.callback_commands, [
      ['stockflow', 'step', 'notify', '--run-id', 'manual__2026-01-01T00:00:00+00:00'],
      ['stockflow', 'step', 'notify', '--run-id', 'manual__2026-01-01T00:00:00+00:00'],
    ]);
  });
});
