import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { CONFIG_VARIABLES } from '../../server/config';
import { DATA_STEPS, NOTIFY_STEP } from '../../server/pipeline/steps';
import { DAG_FILE, inspectDag, PYTHON, renderTaskCommand } from '../../test/helpers/dag-file';

describe('the Airflow DAG', () => {
  const dag = inspectDag();
  const task = (id: string) => dag.tasks.find((candidate) => candidate.task_id === id)!;

  it('compiles', () => {
    execFileSync(PYTHON, ['-m', 'py_compile', DAG_FILE]);
  });

  it("runs the CLI's data steps in order, then notify whatever happened, with no callbacks", () => {
    assert.equal(dag.dag_id, 'stockflow_pipeline');
    assert.equal(dag.schedule, null, 'event-triggered: no schedule');
    assert.equal(dag.catchup, false);
    assert.equal(dag.max_active_runs, 1);
    assert.deepEqual(dag.callbacks, [], 'notify is a task (retries, log, timeout), not a callback');
    assert.deepEqual(dag.tasks.map((candidate) => candidate.task_id).slice(0, DATA_STEPS.length + 1), [...DATA_STEPS, NOTIFY_STEP]);
    assert.deepEqual(
      DATA_STEPS.map((step) => task(step).upstream),
      [[], ['discover'], ['transform']],
    );
    assert.deepEqual(task(NOTIFY_STEP).upstream, ['load']);
    assert.equal(task(NOTIFY_STEP).trigger_rule, 'all_done');
    for (const step of DATA_STEPS) assert.equal(task(step).trigger_rule, 'all_success');
    // notify succeeds after mailing a failure: another leaf must fail the Airflow run then.
    assert.equal(task('fail_run').trigger_rule, 'one_failed');
    assert.deepEqual(task('fail_run').upstream.sort(), [...DATA_STEPS].sort());
    assert.equal(task('fail_run').retries, 0);
  });

  it('bounds every task and the run in time', () => {
    assert.ok(dag.dagrun_timeout && dag.dagrun_timeout > 0);
    for (const candidate of dag.tasks) assert.ok(candidate.execution_timeout && candidate.execution_timeout > 0, `${candidate.task_id} has an execution_timeout`);
    const longest = DATA_STEPS.reduce((total, step) => total + task(step).execution_timeout! * (task(step).retries + 1), 0);
    assert.ok(dag.dagrun_timeout! >= longest / 2, 'the run timeout leaves the steps room to work');
  });

  describe('a task command, rendered as Airflow renders it and run by bash', () => {
    const bin = mkdtempSync(join(tmpdir(), 'stockflow-dag-'));
    after(() => rmSync(bin, { recursive: true, force: true }));
    // A stand-in `stockflow` that reports the arguments and environment it was given.
    writeFileSync(join(bin, 'stockflow'), `#!${PYTHON}\nimport json, os, sys\nprint(json.dumps({"argv": sys.argv[1:], "env": dict(os.environ)}))\n`);
    chmodSync(join(bin, 'stockflow'), 0o755);

    it('passes the run id, try, conf and only stockflow settings, whatever quotes the conf holds', () => {
      const conf = { marker: { bucket: 's3://monitored/', key: 'it\'s a "day"/$(reboot)/.SUCCESS', version: 'v1' }, note: 'a`b' };
      const command = renderTaskCommand('transform', { run_id: 'event__0123abcd', try_number: 2, conf });
      const output = execFileSync('bash', ['-c', command], {
        encoding: 'utf8',
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          HOME: '/home/airflow',
          DATABASE_URL: 'postgres://u:p$w@rds/db',
          AIRFLOW__CORE__FERNET_KEY: 'secret',
          AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: 'secret',
        } as Record<string, string> as unknown as NodeJS.ProcessEnv,
      });
      const seen = JSON.parse(output) as { argv: string[]; env: Record<string, string> };
      assert.deepEqual(seen.argv.slice(0, 11), ['step', 'transform', '--engine', 'airflow', '--run-id', 'event__0123abcd', '--try', '2', '--max-tries', '3', '--conf']);
      assert.equal(seen.argv.length, 12);
      assert.deepEqual(JSON.parse(seen.argv[11]!), conf, 'the conf arrives whole, quotes and all');
      assert.equal(seen.env.DATABASE_URL, 'postgres://u:p$w@rds/db');
      assert.ok(!Object.keys(seen.env).some((name) => name.startsWith('AIRFLOW')), 'Airflow secrets stay out of the step');
      // PWD, SHLVL and _ come from bash; LC_CTYPE from the stand-in's own Python (locale coercion).
      const allowed = new Set([...CONFIG_VARIABLES, 'PATH', 'HOME', 'TZ', 'PWD', 'SHLVL', '_', 'LC_CTYPE']);
      for (const name of Object.keys(seen.env)) assert.ok(allowed.has(name) || name.startsWith('AWS_'), `${name} is a setting stockflow reads`);
      assert.ok(Number(seen.env.STOCKFLOW_STEP_TIMEOUT_MS) < dag.tasks.find((candidate) => candidate.task_id === 'transform')!.execution_timeout! * 1000, 'the step times out before Airflow kills it');
    });
  });
});

if (!existsSync(DAG_FILE)) throw new Error(`${DAG_FILE} is missing`);
