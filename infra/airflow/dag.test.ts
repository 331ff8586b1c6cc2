import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { CONFIG_VARIABLES } from '../../server/config';
import { MAX_SHARDS, shardList } from '../../server/pipeline/shard';
import { DATA_STEPS, NOTIFY_STEP } from '../../server/pipeline/steps';
import { callTask, DAG_FILE, inspectDag, PYTHON, renderTask, renderTaskCommand } from '../../test/helpers/dag-file';

const SHARDED = ['transform', 'load'];

describe('the Airflow DAG', () => {
  const dag = inspectDag();
  const task = (id: string) => dag.tasks.find((candidate) => candidate.task_id === id)!;

  it('compiles', () => {
    execFileSync(PYTHON, ['-m', 'py_compile', DAG_FILE]);
  });

  it('has the same shape under Airflow 3 module paths (airflow.sdk, the standard provider) as under Airflow 2', () => {
    assert.deepEqual(inspectDag(DAG_FILE, '3'), dag);
  });

  it("runs the CLI's data steps in order, transform and load mapped over discover's shards, then notify whatever happened, with no callbacks", () => {
    assert.equal(dag.dag_id, 'stockflow_pipeline');
    assert.equal(dag.schedule, null, 'event-triggered: no schedule');
    assert.equal(dag.catchup, false);
    assert.equal(dag.max_active_runs, 1);
    assert.deepEqual(dag.callbacks, [], 'notify is a task (retries, log, timeout), not a callback');
    assert.deepEqual(
      dag.tasks.map((candidate) => candidate.task_id),
      ['discover', 'shards', 'transform', 'load', NOTIFY_STEP, 'fail_run'],
    );
    assert.deepEqual([...DATA_STEPS], ['discover', ...SHARDED]);
    // discover's XCom (its last output line) goes to `shards`, whose list transform and load expand over.
    assert.equal(task('discover').do_xcom_push, true);
    assert.deepEqual(task('discover').upstream, []);
    assert.equal(task('shards').kind, 'python');
    assert.deepEqual(task('shards').args, ['discover']);
    assert.deepEqual(task('shards').upstream, ['discover']);
    assert.equal(task('shards').retries, 0, 'a malformed list is not retried');
    for (const step of SHARDED) {
      assert.deepEqual(task(step).expand, { env: 'shards' }, `${step} is mapped over the shard list`);
      assert.ok(task(step).map_index_template, `${step}: its instances are named, not numbered`);
      const rendered = renderTask(step, { run_id: 'r', try_number: 1, conf: {}, map_index: 1, expanded: { env: { STOCKFLOW_SHARD: '2/3' } } });
      assert.equal(rendered.map_index_label, 'shard 2/3', `${step}: the instance's name in Airflow's grid`);
      assert.equal(task(step).append_env, true, `${step}: the worker's environment stays under the shard's`);
    }
    assert.equal(task('discover').expand, null);
    assert.equal(task(NOTIFY_STEP).expand, null, 'notify is one task for the whole run');
    assert.deepEqual(task('transform').upstream, ['shards']);
    // load depends on the transform task as a whole: every load instance waits for every transform.
    assert.deepEqual([...task('load').upstream].sort(), ['shards', 'transform']);
    assert.deepEqual(task(NOTIFY_STEP).upstream, ['load']);
    assert.equal(task(NOTIFY_STEP).trigger_rule, 'all_done');
    for (const id of [...DATA_STEPS, 'shards']) assert.equal(task(id).trigger_rule, 'all_success');
    // notify succeeds after mailing a failure: another leaf must fail the Airflow run then.
    assert.equal(task('fail_run').trigger_rule, 'one_failed');
    assert.deepEqual([...task('fail_run').upstream].sort(), [...DATA_STEPS, 'shards'].sort());
    assert.equal(task('fail_run').retries, 0);
  });

  it('bounds every task and the run in time', () => {
    assert.ok(dag.dagrun_timeout && dag.dagrun_timeout > 0);
    for (const candidate of dag.tasks) assert.ok(candidate.execution_timeout && candidate.execution_timeout > 0, `${candidate.task_id} has an execution_timeout`);
    const longest = DATA_STEPS.reduce((total, step) => total + task(step).execution_timeout! * (task(step).retries + 1), 0);
    assert.ok(dag.dagrun_timeout! >= longest / 2, 'the run timeout leaves the steps room to work');
  });

  describe("`shards` reads discover's last output line", () => {
    const shardsOf = (line: unknown) => {
      const called = callTask('shards', [line]);
      return called.ok ? (called.result as Array<{ STOCKFLOW_SHARD: string }>).map((env) => env.STOCKFLOW_SHARD) : called;
    };

    it('gives one instance environment per shard: ["1/1"] for a whole run, three for three shards', () => {
      assert.deepEqual(callTask('shards', ['["1/1"]']), { ok: true, result: [{ STOCKFLOW_SHARD: '1/1' }] });
      assert.deepEqual(shardsOf('["1/3","2/3","3/3"]'), ['1/3', '2/3', '3/3']);
      assert.deepEqual(shardsOf('  ["1/2", "2/2"]  '), ['1/2', '2/2'], 'JSON whitespace is fine');
      // The CLI's own list (server/pipeline/shard.ts), up to its limit.
      for (const count of [1, 3, MAX_SHARDS]) assert.deepEqual(shardsOf(JSON.stringify(shardList(count))), shardList(count));
    });

    it('refuses anything else, naming what it got', () => {
      const refused = [
        '',
        'discover done: 12 files',
        '{"shards": ["1/1"]}',
        '[]',
        '[1]',
        '"1/1"',
        '["1/1"] trailing',
        '["0/1"]',
        '["1/3","2/3"]',
        '["1/2","1/2"]',
        '["2/2","1/2"]',
        '["1/2","2/3"]',
        '["1/1 --engine x"]',
        JSON.stringify(shardList(MAX_SHARDS + 1)),
        null,
        ['1/1'],
      ];
      for (const line of refused) {
        const called = callTask('shards', [line]);
        assert.equal(called.ok, false, `refuses ${JSON.stringify(line)?.slice(0, 40)}`);
        assert.match((called as { error: string }).error, /^ValueError: discover/, 'a clear error in the task log');
      }
    });
  });

  describe('a task command, rendered as Airflow renders it and run by bash', () => {
    const bin = mkdtempSync(join(tmpdir(), 'stockflow-dag-'));
    after(() => rmSync(bin, { recursive: true, force: true }));
    // A stand-in `stockflow` that reports the arguments and environment it was given; as discover
    // it also logs on stderr before and after its shard list (from shards.json) and exits with
    // the code in exit-code. Files beside it, since the command clears the environment.
    writeFileSync(
      join(bin, 'stockflow'),
      `#!${PYTHON}
import json, os, sys
here = os.path.dirname(os.path.realpath(__file__))
seen = json.dumps({"argv": sys.argv[1:], "env": dict(os.environ)})
if sys.argv[1:3] == ["step", "discover"]:
    print("discover: listing files", file=sys.stderr, flush=True)
    print(seen, flush=True)
    print(open(os.path.join(here, "shards.json")).read().strip(), flush=True)
    print("discover: done", file=sys.stderr, flush=True)
    sys.exit(int(open(os.path.join(here, "exit-code")).read()))
print(seen)
`,
    );
    chmodSync(join(bin, 'stockflow'), 0o755);
    const workerEnv = {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: '/home/airflow',
      DATABASE_URL: 'postgres://u:p$w@rds/db',
      AIRFLOW__CORE__FERNET_KEY: 'secret',
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: 'secret',
    };

    /** As BashOperator runs a command: `bash -c`, stderr into stdout; XCom is the last line. */
    function runAsAirflow(command: string, env: Record<string, string>) {
      const result = spawnSync('/bin/sh', ['-c', 'exec bash -c "$0" 2>&1', command], { encoding: 'utf8', env: env as unknown as NodeJS.ProcessEnv });
      const lines = result.stdout.replace(/\n$/, '').split('\n');
      return { status: result.status, lines, xcom: lines[lines.length - 1]! };
    }
    /** A mapped instance's environment: BashOperator with append_env lays its env over the worker's. */
    function instanceEnv(rendered: { env: Record<string, string> | null; append_env: boolean }) {
      return rendered.append_env ? { ...workerEnv, ...rendered.env } : (rendered.env ?? workerEnv);
    }
    type Seen = { argv: string[]; env: Record<string, string> };
    const conf = { marker: { bucket: 's3://monitored/', key: 'it\'s a "day"/$(reboot)/.SUCCESS', version: 'v1' }, note: 'a`b' };

    it('passes the run id, try, conf and only stockflow settings, whatever quotes the conf holds', () => {
      const rendered = renderTask('transform', { run_id: 'event__0123abcd', try_number: 2, conf, map_index: 0, expanded: { env: { STOCKFLOW_SHARD: '1/1' } } });
      const output = execFileSync('bash', ['-c', rendered.command], { encoding: 'utf8', env: instanceEnv(rendered) as unknown as NodeJS.ProcessEnv });
      const seen = JSON.parse(output) as Seen;
      assert.deepEqual(seen.argv.slice(0, 13), ['step', 'transform', '--engine', 'airflow', '--run-id', 'event__0123abcd', '--shard', '1/1', '--try', '2', '--max-tries', '3', '--conf']);
      assert.equal(seen.argv.length, 14);
      assert.deepEqual(JSON.parse(seen.argv[13]!), conf, 'the conf arrives whole, quotes and all');
      assert.equal(seen.env.DATABASE_URL, 'postgres://u:p$w@rds/db');
      assert.ok(!Object.keys(seen.env).some((name) => name.startsWith('AIRFLOW')), 'Airflow secrets stay out of the step');
      // PWD, SHLVL and _ come from bash; LC_CTYPE from the stand-in's own Python (locale coercion).
      const allowed = new Set([...CONFIG_VARIABLES, 'PATH', 'HOME', 'TZ', 'PWD', 'SHLVL', '_', 'LC_CTYPE']);
      for (const name of Object.keys(seen.env)) assert.ok(allowed.has(name) || name.startsWith('AWS_'), `${name} is a setting stockflow reads`);
      assert.ok(Number(seen.env.STOCKFLOW_STEP_TIMEOUT_MS) < task('transform').execution_timeout! * 1000, 'the step times out before Airflow kills it');
    });

    it("maps discover's shard list onto transform and load: instance i of N runs `--shard i/N`", () => {
      writeFileSync(join(bin, 'shards.json'), JSON.stringify(shardList(3)));
      writeFileSync(join(bin, 'exit-code'), '0');
      const discover = runAsAirflow(renderTaskCommand('discover', { run_id: 'event__0123abcd', try_number: 1, conf }), workerEnv);
      assert.equal(discover.status, 0, discover.lines.join('\n'));
      assert.equal(discover.lines[0], 'discover: listing files', 'the log passes through');
      assert.ok(discover.lines.includes('discover: done'), 'a log line after the list too');
      assert.equal(discover.xcom, JSON.stringify(shardList(3)), "discover's XCom is the list, not its last log line");
      const called = callTask('shards', [discover.xcom]);
      assert.ok(called.ok);
      const instances = called.result as Array<Record<string, string>>;
      for (const step of SHARDED) {
        const shards = instances.map((env, mapIndex) => {
          const rendered = renderTask(step, { run_id: 'event__0123abcd', try_number: 1, conf, map_index: mapIndex, expanded: { env } });
          const run = runAsAirflow(rendered.command, instanceEnv(rendered));
          assert.equal(run.status, 0, run.lines.join('\n'));
          const seen = JSON.parse(run.xcom) as Seen;
          assert.deepEqual(seen.argv.slice(0, 2), ['step', step]);
          assert.ok(!('STOCKFLOW_SHARD' in seen.env), 'the shard travels as an argument only');
          return seen.argv[seen.argv.indexOf('--shard') + 1];
        });
        assert.deepEqual(shards, ['1/3', '2/3', '3/3'], `${step}[i] gets shard i+1 of 3`);
      }
      // discover itself, notify and fail_run are one task each: no --shard.
      for (const id of ['discover', NOTIFY_STEP]) assert.doesNotMatch(task(id).bash_command!, /--shard/);
    });

    it('keeps a shard value one argument whatever it holds, and fails without one', () => {
      const hostile = renderTask('load', { run_id: 'event__1', try_number: 1, conf: {}, map_index: 0, expanded: { env: { STOCKFLOW_SHARD: '1/2 --engine x; $(touch pwned) `id`' } } });
      const seen = JSON.parse(execFileSync('bash', ['-c', hostile.command], { cwd: bin, encoding: 'utf8', env: instanceEnv(hostile) as unknown as NodeJS.ProcessEnv })) as Seen;
      assert.equal(seen.argv[seen.argv.indexOf('--shard') + 1], '1/2 --engine x; $(touch pwned) `id`');
      assert.equal(seen.argv.filter((arg) => arg === '--engine').length, 1);
      assert.ok(!existsSync(join(bin, 'pwned')));
      const missing = renderTask('load', { run_id: 'event__1', try_number: 1, conf: {}, map_index: 0, expanded: { env: {} } });
      assert.equal(missing.map_index_label, 'shard missing');
      const run = runAsAirflow(missing.command, instanceEnv(missing));
      assert.notEqual(run.status, 0);
      assert.match(run.xcom, /no shard given/);
    });

    it("fails discover's task with the CLI's exit code, and passes no list on", () => {
      writeFileSync(join(bin, 'shards.json'), '["1/1"]');
      writeFileSync(join(bin, 'exit-code'), '3');
      const run = runAsAirflow(renderTaskCommand('discover', { run_id: 'event__1', try_number: 1, conf: {} }), workerEnv);
      assert.equal(run.status, 3);
      assert.equal(run.xcom, 'discover: done');
    });
  });
});

if (!existsSync(DAG_FILE)) throw new Error(`${DAG_FILE} is missing`);
