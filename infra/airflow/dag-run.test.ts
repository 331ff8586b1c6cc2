import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { shardList } from '../../server/pipeline/shard';
import { executeDagRun } from '../../test/helpers/dag-executor';
import { inspectDag, PYTHON } from '../../test/helpers/dag-file';

/**
 * Whole runs of the DAG file through the test executor (test/helpers/dag-executor.ts: Airflow's
 * trigger rules, retries, XCom and mapping) against a stand-in `stockflow` that records each call:
 * what the shards do to the task graph, independent of the real CLI.
 */

describe('a run of the DAG, sharded', () => {
  const dag = inspectDag();
  const bin = mkdtempSync(join(tmpdir(), 'stockflow-dag-run-'));
  after(() => rmSync(bin, { recursive: true, force: true }));
  // Appends {step, shard, at} to calls.jsonl; as discover prints shards.json last on stdout (a log
  // line on stderr after it); fails when its step key is listed in fail.json.
  writeFileSync(
    join(bin, 'stockflow'),
    `#!${PYTHON}
import json, os, sys, time
here = os.path.dirname(os.path.realpath(__file__))
argv = sys.argv[1:]
step = argv[1]
shard = argv[argv.index("--shard") + 1] if "--shard" in argv else None
key = f"{step}[{shard}]" if shard else step
with open(os.path.join(here, "calls.jsonl"), "a") as calls:
    calls.write(json.dumps({"key": key, "try": int(argv[argv.index("--try") + 1]), "at": time.time()}) + "\\n")
time.sleep(0.05)
if key in json.load(open(os.path.join(here, "fail.json"))):
    sys.exit(f"{key} failed")
if step == "discover":
    print(open(os.path.join(here, "shards.json")).read().strip(), flush=True)
    print("discover: done", file=sys.stderr)
`,
  );
  chmodSync(join(bin, 'stockflow'), 0o755);
  const env = { PATH: `${bin}:${process.env.PATH}`, HOME: bin } as Record<string, string> as unknown as NodeJS.ProcessEnv;

  async function run(shards: string, fail: string[] = []) {
    writeFileSync(join(bin, 'shards.json'), shards);
    writeFileSync(join(bin, 'fail.json'), JSON.stringify(fail));
    writeFileSync(join(bin, 'calls.jsonl'), '');
    const instances: string[] = [];
    const result = await executeDagRun({
      dag,
      runId: 'event__shards',
      conf: {},
      env,
      onTaskState: (id, state, _lines, mapIndex) => state === 'success' && instances.push(mapIndex >= 0 ? `${id}#${mapIndex}` : id),
    });
    const calls = readFileSync(join(bin, 'calls.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { key: string; try: number; at: number });
    const states = Object.fromEntries(Object.entries(result.tasks).map(([id, task]) => [id, task.state]));
    return { result, calls, states, instances };
  }

  it('runs transform and load once per shard, every load after every transform, then notify once', async () => {
    const { result, calls, states, instances } = await run(JSON.stringify(shardList(3)));
    assert.equal(result.state, 'success');
    assert.deepEqual(states, { discover: 'success', shards: 'success', transform: 'success', load: 'success', notify: 'success', fail_run: 'skipped' });
    const keys = calls.map((call) => call.key);
    assert.equal(keys[0], 'discover');
    assert.deepEqual(keys.slice(1, 4).sort(), ['transform[1/3]', 'transform[2/3]', 'transform[3/3]']);
    assert.deepEqual(keys.slice(4, 7).sort(), ['load[1/3]', 'load[2/3]', 'load[3/3]']);
    assert.deepEqual(keys.slice(7), ['notify']);
    assert.deepEqual(
      result.tasks.transform!.instances!.map((instance) => instance.state),
      ['success', 'success', 'success'],
    );
    assert.ok(instances.includes('transform#2') && instances.includes('load#0'), 'instances are reported with their map index');
  });

  it('is one instance each for ["1/1"]', async () => {
    const { result, calls } = await run('["1/1"]');
    assert.equal(result.state, 'success');
    assert.deepEqual(
      calls.map((call) => call.key),
      ['discover', 'transform[1/1]', 'load[1/1]', 'notify'],
    );
  });

  it('loads no shard when one transform failed after its retries; notify mails it and fail_run fails the run', async () => {
    const { result, calls, states } = await run(JSON.stringify(shardList(3)), ['transform[2/3]']);
    assert.equal(result.state, 'failed');
    assert.deepEqual(states, { discover: 'success', shards: 'success', transform: 'failed', load: 'upstream_failed', notify: 'success', fail_run: 'failed' });
    assert.deepEqual(
      result.tasks.transform!.instances!.map((instance) => [instance.state, instance.tries]),
      [
        ['success', 1],
        ['failed', 3],
        ['success', 1],
      ],
      'only the failing instance is retried',
    );
    assert.ok(!calls.some((call) => call.key.startsWith('load')));
  });

  it('fails the run when one load instance failed', async () => {
    const { result, states } = await run(JSON.stringify(shardList(2)), ['load[1/2]']);
    assert.equal(result.state, 'failed');
    assert.deepEqual([states.load, states.notify, states.fail_run], ['failed', 'success', 'failed']);
  });

  it('stops at `shards` when discover printed no list: nothing transformed, the run failed', async () => {
    const { result, calls, states } = await run('');
    assert.equal(result.state, 'failed');
    assert.deepEqual(states, { discover: 'success', shards: 'failed', transform: 'upstream_failed', load: 'upstream_failed', notify: 'success', fail_run: 'failed' });
    assert.equal(result.tasks.shards!.tries, 1);
    assert.match(result.tasks.shards!.output.join('\n'), /ValueError: discover's last output line is not a JSON shard list/);
    assert.deepEqual(
      calls.map((call) => call.key),
      ['discover', 'notify'],
    );
  });
});
