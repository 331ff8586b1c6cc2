import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { parse, parseDocument, type Scalar, type YAMLSeq } from 'yaml';

import { CONFIG_VARIABLES, loadConfig } from '../../server/config';
import { DAG_FILE, PYTHON } from '../../test/helpers/dag-file';

/** infra/airflow's compose files, read as docker compose reads them (YAML merge keys, .env). */

const DIR = 'infra/airflow';
const ENV_EXAMPLE = join(DIR, '.env.example');
const BASH = '/bin/bash';

interface Service {
  image?: string;
  stop_grace_period?: string;
  command?: string | string[];
  user?: string;
  hostname?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  profiles?: string[];
}
interface Compose {
  name: string;
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const VERSIONS = [
  {
    label: 'Airflow 3',
    file: 'docker-compose.yaml',
    server: 'airflow-api-server',
    baseImage: /^apache\/airflow:3\.\d+\.\d+-python3\.\d+$/,
    // JWT: scheduler-signed task tokens checked by the API server; secret key: sessions and log
    // fetches; Fernet: connections and variables.
    secrets: ['AIRFLOW__API_AUTH__JWT_SECRET', 'AIRFLOW__API__SECRET_KEY', 'AIRFLOW__CORE__FERNET_KEY'],
    required: ['airflow-db', 'airflow-init', 'airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor'],
    executor: 'LocalExecutor',
    // Under LocalExecutor the scheduler runs the tasks as its child processes.
    taskRunner: 'airflow-scheduler',
  },
  {
    label: 'Airflow 3, CeleryExecutor',
    file: 'docker-compose.celery.yaml',
    server: 'airflow-api-server',
    baseImage: /^apache\/airflow:3\.\d+\.\d+-python3\.\d+$/,
    secrets: ['AIRFLOW__API_AUTH__JWT_SECRET', 'AIRFLOW__API__SECRET_KEY', 'AIRFLOW__CORE__FERNET_KEY'],
    required: ['airflow-db', 'redis', 'airflow-init', 'airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor', 'airflow-worker'],
    executor: 'CeleryExecutor',
    taskRunner: 'airflow-worker',
  },
  {
    label: 'Airflow 2.10',
    file: 'docker-compose.airflow2.yaml',
    server: 'airflow-webserver',
    baseImage: /^apache\/airflow:2\.10\.\d+-python3\.\d+$/,
    secrets: ['AIRFLOW__WEBSERVER__SECRET_KEY', 'AIRFLOW__CORE__FERNET_KEY'],
    required: ['airflow-db', 'airflow-init', 'airflow-webserver', 'airflow-scheduler'],
    executor: 'LocalExecutor',
    taskRunner: 'airflow-scheduler',
  },
] as const;

// What the DAG's steps need from the host (docs: .env.example's stockflow section).
const STOCKFLOW_VARIABLES = [
  'DATABASE_URL',
  'DATABASE_CA_FILE',
  'STOCKFLOW_SOURCE',
  'AWS_REGION',
  'STOCKFLOW_COHORT',
  'STOCKFLOW_FIRST_NAME',
  'STOCKFLOW_SURNAME',
  'STOCKFLOW_NOTIFIER',
  'SNS_TOPIC_ARN',
  'SMTP_URL',
  'STOCKFLOW_MAIL_FROM',
  'STOCKFLOW_MAIL_TO',
];

function readEnvFile(file: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}

const example = readEnvFile(ENV_EXAMPLE);

// Compose's interpolation syntax: $$ (a literal $), $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
// ${NAME:?error}, ${NAME?error}.
const INTERPOLATION = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

interface Reference {
  name: string;
  operator: string | undefined;
  text: string;
}

function references(value: string): Reference[] {
  return [...value.matchAll(INTERPOLATION)].filter((match) => match[0] !== '$$').map((match) => ({ name: (match[1] ?? match[4])!, operator: match[2], text: match[0] }));
}

/** What docker compose makes of a value, given the .env values. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(INTERPOLATION, (whole, braced?: string, operator?: string, argument = '', bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const set = env[name];
    switch (operator) {
      case ':-':
        return set ? set : argument;
      case '-':
        return set ?? argument;
      case ':?':
        if (!set) throw new Error(`${name}: ${argument}`);
        return set;
      case '?':
        if (set === undefined) throw new Error(`${name}: ${argument}`);
        return set;
      default:
        return set ?? '';
    }
  });
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

function load(file: string): { compose: Compose; initScript: Scalar<string> } {
  const text = readFileSync(join(DIR, file), 'utf8');
  const document = parseDocument(text, { merge: true });
  assert.deepEqual(document.errors, [], `${file} parses`);
  const command = document.getIn(['services', 'airflow-init', 'command'], true) as YAMLSeq<Scalar<string>>;
  return { compose: parse(text, { merge: true }) as Compose, initScript: command.items[2]! };
}

function airflowServices(compose: Compose): Array<[string, Service]> {
  return Object.entries(compose.services).filter(([, service]) => service.image?.startsWith('stockflow-airflow:'));
}

/** An .env a deployment would have: the example with every required value filled in. */
function filledEnv(): Record<string, string> {
  return { ...example, AIRFLOW_ADMIN_PASSWORD: 'not-a-real-password', AIRFLOW_SECRET_KEY: 'a'.repeat(64), AIRFLOW_JWT_SECRET: 'b'.repeat(64), AIRFLOW_FERNET_KEY: `${'c'.repeat(43)}=` };
}

function dagStepEnv(): string[] {
  const program =
    'import ast, sys\nfor node in ast.parse(open(sys.argv[1]).read()).body:\n    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "STEP_ENV":\n        print("\\n".join(ast.literal_eval(node.value)))';
  return execFileSync(PYTHON, ['-c', program, DAG_FILE], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

const scratch = mkdtempSync(join(tmpdir(), 'stockflow-compose-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * Runs airflow-init's script with bash, an `airflow` stand-in that keeps its users in a file and
 * logs every call, and Debian's python3 (the script's JSON check).
 */
function runInitScript(script: string, options: { users?: string[]; fail?: 'create' | 'lose-user'; password: string }) {
  const dir = mkdtempSync(join(scratch, 'init-'));
  const state = join(dir, 'users.json');
  writeFileSync(state, JSON.stringify(options.users ?? []));
  const fake = [
    `#!${PYTHON}`,
    'import json, os, sys',
    'state = os.environ["FAKE_AIRFLOW_STATE"]',
    'args = sys.argv[1:]',
    'open(state + ".log", "a").write(json.dumps(args) + "\\n")',
    'users = json.load(open(state))',
    'if args[:2] == ["users", "list"]:',
    // Like Airflow's console: no JSON at all when the table is empty.
    '    print(json.dumps([{"id": i + 1, "username": u} for i, u in enumerate(users)]) if users else "No data found")',
    'elif args[:2] == ["users", "create"]:',
    '    if os.environ.get("FAKE_AIRFLOW_FAIL") == "create": sys.exit("create failed")',
    '    if os.environ.get("FAKE_AIRFLOW_FAIL") != "lose-user": json.dump(users + [args[args.index("--username") + 1]], open(state, "w"))',
  ].join('\n');
  writeFileSync(join(dir, 'airflow'), `${fake}\n`);
  chmodSync(join(dir, 'airflow'), 0o755);
  const result = spawnSync(BASH, ['-c', script], {
    encoding: 'utf8',
    env: {
      PATH: `${dir}:/usr/bin:/bin`,
      FAKE_AIRFLOW_STATE: state,
      FAKE_AIRFLOW_FAIL: options.fail ?? '',
      AIRFLOW_ADMIN_USER: 'admin',
      AIRFLOW_ADMIN_PASSWORD: options.password,
    } as Record<string, string> as unknown as NodeJS.ProcessEnv,
  });
  let calls: string[][] = [];
  try {
    calls = readFileSync(`${state}.log`, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[]);
  } catch {
    // no call made
  }
  return { status: result.status, stderr: result.stderr, calls };
}

for (const version of VERSIONS) {
  describe(`${version.label}: infra/airflow/${version.file}`, () => {
    const { compose, initScript } = load(version.file);
    const services = airflowServices(compose);
    const script = interpolate(initScript.value, filledEnv());

    it(`defines the services, all on the stockflow image built from the pinned Airflow image, with ${version.executor}`, () => {
      for (const name of version.required) assert.ok(compose.services[name], `service ${name}`);
      assert.ok(compose.name, 'its own project name: Airflow 2 and 3 never share the metadata volume');
      assert.deepEqual(
        services.map(([name]) => name),
        Object.keys(compose.services).filter((name) => name !== 'airflow-db' && name !== 'redis'),
        'every other service is Airflow on the stockflow image',
      );
      const raw = parse(readFileSync(join(DIR, version.file), 'utf8'), { merge: true }) as Record<string, { build?: { args?: Record<string, string> } }>;
      assert.match(raw['x-airflow']!.build!.args!.AIRFLOW_IMAGE!, version.baseImage);
      for (const [name, service] of services) {
        assert.equal(service.environment?.AIRFLOW__CORE__EXECUTOR, version.executor, name);
        assert.equal(service.user, '${AIRFLOW_UID:-50000}:0', `${name} runs with group 0`);
      }
    });

    it("runs airflow-init's script as a literal block: set -euo pipefail, no `|| true`, migrate, then the admin user with its password", () => {
      assert.equal(initScript.type, 'BLOCK_LITERAL', 'a folded scalar would join or split the lines');
      assert.deepEqual(compose.services['airflow-init']!.command!.slice(0, 2), ['bash', '-c']);
      const text = initScript.value;
      assert.match(text, /^set -euo pipefail$/m);
      assert.doesNotMatch(text, /\|\|\s*true/);
      assert.doesNotMatch(text, /\\\n/, 'one command per line, no continuations');
      const lines = text.split('\n').map((line) => line.trim());
      const migrate = lines.findIndex((line) => line === 'airflow db migrate');
      const create = lines.findIndex((line) => line.startsWith('airflow users create '));
      assert.ok(migrate >= 0 && create > migrate, 'the schema first, then the user');
      for (const flag of ['--role Admin', '--username "$${AIRFLOW_ADMIN_USER}"', '--password "$${AIRFLOW_ADMIN_PASSWORD}"']) {
        assert.ok(lines[create]!.includes(flag), `airflow users create ... ${flag}`);
      }
      // The credentials are read by the shell from the environment, never pasted into the script
      // text by compose (a quote or a $ in the password would break it).
      assert.ok(references(text).every((reference) => !reference.name.startsWith('AIRFLOW_ADMIN')));
      const environment = compose.services['airflow-init']!.environment!;
      assert.match(environment.AIRFLOW_ADMIN_USER!, /^\$\{AIRFLOW_ADMIN_USER:\?/);
      assert.match(environment.AIRFLOW_ADMIN_PASSWORD!, /^\$\{AIRFLOW_ADMIN_PASSWORD:\?/);
      assert.equal(compose.services['airflow-init']!.restart, 'no');
      execFileSync(BASH, ['-n', '-c', script]);
    });

    it('airflow-init creates the admin once, keeps its password in step with .env afterwards, and fails loudly', () => {
      const password = `p@ss "w$rd' ${version.label}`;
      const first = runInitScript(script, { password });
      assert.equal(first.status, 0, first.stderr);
      assert.deepEqual(first.calls[0], ['db', 'migrate']);
      const create = first.calls.find((call) => call[1] === 'create')!;
      assert.equal(create[create.indexOf('--password') + 1], password, 'the exact password, whatever it contains');
      assert.equal(create[create.indexOf('--username') + 1], 'admin');
      assert.ok(!first.calls.some((call) => call[1] === 'reset-password'));

      const again = runInitScript(script, { users: ['admin'], password: 'changed in .env' });
      assert.equal(again.status, 0, again.stderr);
      assert.ok(!again.calls.some((call) => call[1] === 'create'), 'an existing user is not created again');
      const reset = again.calls.find((call) => call[1] === 'reset-password')!;
      assert.deepEqual(reset.slice(2), ['--username', 'admin', '--password', 'changed in .env']);

      const refused = runInitScript(script, { password, fail: 'create' });
      assert.notEqual(refused.status, 0, 'a failed user creation fails airflow-init');
      const lost = runInitScript(script, { password, fail: 'lose-user' });
      assert.notEqual(lost.status, 0, 'no admin after creation fails airflow-init');
      assert.match(lost.stderr, /still missing/);
    });

    it('every Airflow service mounts the shared logs volume and the DAG folder', () => {
      assert.ok('airflow-logs' in compose.volumes, 'a named volume, not a host folder');
      for (const [name, service] of services) {
        assert.ok(service.volumes?.includes('airflow-logs:/opt/airflow/logs'), `${name} mounts the logs volume`);
        assert.ok(service.volumes?.includes('./dags:/opt/airflow/dags:ro'), `${name} mounts the DAGs`);
      }
    });

    it('every Airflow service gets the same keys, from .env, required', () => {
      for (const key of version.secrets) {
        const values = new Set(services.map(([, service]) => service.environment?.[key]));
        assert.equal(values.size, 1, `${key} is the same everywhere`);
        const [value] = values;
        const [reference] = references(value ?? '');
        assert.ok(reference && reference.text === value, `${key} comes from .env alone`);
        assert.equal(reference.operator, ':?', `${key}: compose stops when it is unset`);
        assert.equal(example[reference.name], '', `${reference.name} has no committed value in .env.example`);
      }
    });

    it(`gives stockflow's settings to ${version.taskRunner} (it runs the tasks) and to no other service`, () => {
      const stepEnv = new Set(dagStepEnv());
      const TASK_RUNNER = version.taskRunner;
      const runner = compose.services[TASK_RUNNER]!;
      for (const name of STOCKFLOW_VARIABLES) {
        const value = runner.environment?.[name];
        assert.ok(value !== undefined, `${TASK_RUNNER} gets ${name}`);
        assert.deepEqual(
          references(value).map((reference) => reference.name),
          [name],
          `${name} comes from .env`,
        );
      }
      // DUMB_INIT_SETSID is read by the image's entrypoint (dumb-init), not by the steps.
      for (const name of Object.keys(runner.environment ?? {}).filter((variable) => !variable.startsWith('AIRFLOW') && variable !== 'DUMB_INIT_SETSID')) {
        assert.ok(CONFIG_VARIABLES.includes(name), `${name} is a setting stockflow reads`);
        assert.ok(stepEnv.has(name), `${name} is handed to the steps by the DAG (STEP_ENV)`);
      }
      for (const [name, service] of services.filter(([name]) => name !== TASK_RUNNER)) {
        assert.ok(!('DATABASE_URL' in (service.environment ?? {})), `${name} gets no stockflow settings`);
      }
      assert.ok(runner.volumes?.includes('./certs:/opt/stockflow/certs:ro'), 'the CA bundle is mounted');
      assert.match(example.DATABASE_CA_FILE!, /^\/opt\/stockflow\/certs\/[\w.-]+\.pem$/, 'DATABASE_CA_FILE points into the mount');
      if (version.executor === 'LocalExecutor') assert.equal(runner.hostname, 'airflow-scheduler', 'the log fallback can reach the host a task log names');
      else assert.equal(runner.hostname, undefined, 'workers scale (--scale): no fixed host name; their logs are on the shared volume');
    });

    it('has healthchecks, and starts the Airflow services only after airflow-init succeeded', () => {
      for (const [name, service] of Object.entries(compose.services).filter(([name]) => name !== 'airflow-init')) {
        assert.ok(service.healthcheck?.test?.length, `${name} has a healthcheck`);
      }
      for (const [name, service] of services.filter(([name]) => name !== 'airflow-init')) {
        assert.equal(service.depends_on?.['airflow-init']?.condition, 'service_completed_successfully', name);
        assert.equal(service.depends_on?.['airflow-db']?.condition, 'service_healthy', name);
        if (compose.services.redis) assert.equal(service.depends_on?.redis?.condition, 'service_healthy', name);
      }
      assert.deepEqual(compose.services[version.server]!.ports, ['8080:8080']);
      assert.ok(!compose.services['airflow-db']!.ports, 'the metadata database stays inside');
      assert.ok(!compose.services.redis?.ports, 'the broker stays inside');
    });

    it('references only variables that .env.example defines', () => {
      const text = readFileSync(join(DIR, version.file), 'utf8');
      const names = new Set(
        strings(parse(text, { merge: true }))
          .flatMap(references)
          .map((reference) => reference.name),
      );
      assert.ok(names.size > 10);
      for (const name of names) assert.ok(name in example, `${name} is in .env.example`);
    });
  });
}

describe('infra/airflow/docker-compose.yaml is Airflow 3', () => {
  const { compose } = load('docker-compose.yaml');

  it('runs the API server, the scheduler and the DAG processor as separate services', () => {
    assert.equal(compose.services['airflow-api-server']!.command, 'api-server');
    assert.equal(compose.services['airflow-scheduler']!.command, 'scheduler');
    assert.equal(compose.services['airflow-dag-processor']!.command, 'dag-processor');
  });

  it('points task processes at the API server, and signs in through the FAB auth manager (POST /auth/token)', () => {
    const environment = compose.services['airflow-scheduler']!.environment!;
    const url = new URL(environment.AIRFLOW__CORE__EXECUTION_API_SERVER_URL!);
    assert.equal(url.hostname, 'airflow-api-server');
    assert.equal(url.port, '8080');
    assert.equal(url.pathname, '/execution/');
    assert.equal(environment.AIRFLOW__CORE__AUTH_MANAGER, 'airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager');
  });
});

describe('infra/airflow/docker-compose.celery.yaml is docker-compose.yaml with Celery workers', () => {
  const { compose: celery, initScript } = load('docker-compose.celery.yaml');
  const { compose: local, initScript: localInit } = load('docker-compose.yaml');
  const environment = celery.services['airflow-scheduler']!.environment!;
  const worker = celery.services['airflow-worker']!;
  const CELERY_ONLY = ['AIRFLOW__CORE__EXECUTOR', 'AIRFLOW__CELERY__BROKER_URL', 'AIRFLOW__CELERY__RESULT_BACKEND'];

  it('queues tasks in the Redis service and keeps Celery results in the metadata database', () => {
    const broker = new URL(environment.AIRFLOW__CELERY__BROKER_URL!);
    assert.equal(broker.protocol, 'redis:');
    assert.equal(broker.hostname, 'redis');
    assert.equal(broker.port || '6379', '6379');
    assert.match(celery.services.redis!.image!, /^redis:\d+\.\d+-/, 'a pinned Redis');
    assert.deepEqual(celery.services.redis!.healthcheck!.test, ['CMD', 'redis-cli', 'ping']);
    const backend = environment.AIRFLOW__CELERY__RESULT_BACKEND!;
    assert.match(backend, /^db\+postgresql:\/\//);
    const [metadata, results] = [new URL(environment.AIRFLOW__DATABASE__SQL_ALCHEMY_CONN!.replace(/^[^:]+/, 'postgresql')), new URL(backend.replace(/^db\+/, ''))];
    assert.deepEqual([results.host, results.pathname, results.username], [metadata.host, metadata.pathname, metadata.username], 'the same database as the metadata');
  });

  it('runs the tasks on a scalable Celery worker with a bounded concurrency, a ping healthcheck and a warm shutdown', () => {
    assert.equal(worker.command, 'celery worker');
    const ping = worker.healthcheck!.test.join(' ');
    assert.match(ping, /celery --app airflow\.providers\.celery\.executors\.celery_executor\.app inspect ping -d "celery@\$\$\{HOSTNAME\}"/);
    assert.deepEqual(
      references(worker.environment!.AIRFLOW__CELERY__WORKER_CONCURRENCY!).map((reference) => [reference.name, reference.operator]),
      [['AIRFLOW_WORKER_CONCURRENCY', ':-']],
    );
    assert.match(example.AIRFLOW_WORKER_CONCURRENCY!, /^[1-9]\d*$/);
    assert.equal(worker.environment!.DUMB_INIT_SETSID, '0', 'the stop signal reaches the Celery worker alone: it lets its tasks finish');
    assert.ok(worker.stop_grace_period, 'running steps get time to end on stop');
    assert.equal(worker.depends_on?.['airflow-api-server']?.condition, 'service_healthy', "tasks report through the API server's execution API");
    assert.ok(!worker.ports, 'nothing published');
  });

  it('is the same deployment as docker-compose.yaml otherwise: project and volumes, settings, init script, services', () => {
    assert.equal(celery.name, local.name, 'one Airflow 3 metadata database: switching executors keeps the runs');
    assert.deepEqual(Object.keys(celery.volumes), Object.keys(local.volumes));
    assert.equal(initScript.value, localInit.value);
    const without = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([name]) => !CELERY_ONLY.includes(name)));
    for (const name of ['airflow-init', 'airflow-api-server', 'airflow-scheduler', 'airflow-dag-processor']) {
      assert.deepEqual(celery.services[name]!.command, local.services[name]!.command, name);
      assert.deepEqual(celery.services[name]!.healthcheck, local.services[name]!.healthcheck, name);
    }
    // The settings every Airflow container shares: the Local file's, plus Celery's.
    assert.deepEqual(without(celery.services['airflow-api-server']!.environment!), without(local.services['airflow-api-server']!.environment!));
    assert.deepEqual(without(celery.services['airflow-scheduler']!.environment!), without(local.services['airflow-api-server']!.environment!), 'the scheduler runs no task: no stockflow settings');
    const stockflowSettings = Object.fromEntries(Object.entries(local.services['airflow-scheduler']!.environment!).filter(([name]) => !name.startsWith('AIRFLOW')));
    for (const [name, value] of Object.entries(stockflowSettings)) assert.equal(worker.environment![name], value, `the worker gets ${name} as the Local scheduler did`);
    assert.deepEqual(worker.volumes, local.services['airflow-scheduler']!.volumes, 'logs, DAGs and the CA bundle, as the Local scheduler');
  });
});

describe('infra/airflow/docker-compose.airflow2.yaml is Airflow 2.10', () => {
  it('lets the v1 REST API take basic auth', () => {
    const { compose } = load('docker-compose.airflow2.yaml');
    const backends = compose.services['airflow-webserver']!.environment!.AIRFLOW__API__AUTH_BACKENDS!.split(',');
    assert.ok(backends.includes('airflow.providers.fab.auth_manager.api.auth.backend.basic_auth'));
    assert.equal(compose.services['airflow-webserver']!.command, 'webserver');
  });
});

describe('infra/airflow/.env.example', () => {
  it("holds stockflow settings that stockflow's own configuration accepts", () => {
    const settings = Object.fromEntries(STOCKFLOW_VARIABLES.map((name) => [name, example[name]]));
    const config = loadConfig(settings);
    assert.equal(config.source.kind, 's3');
    assert.match(example.DATABASE_URL!, /[?&]sslmode=verify-full(&|$)/);
    assert.equal(config.mail.channel, example.STOCKFLOW_NOTIFIER);
  });

  it('documents every variable with a comment above it', () => {
    const lines = readFileSync(ENV_EXAMPLE, 'utf8').split('\n');
    let commented = false;
    for (const line of lines) {
      if (line.startsWith('#')) commented = true;
      else if (line.trim() === '') commented = false;
      else assert.ok(commented, `a comment explains ${line.split('=')[0]}`);
    }
  });
});

type ComposeCommand = { argv: string[]; legacy: boolean } | null;

function findCompose(): ComposeCommand {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) return { argv: ['docker', 'compose'], legacy: false };
  if (spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0) return { argv: ['docker-compose'], legacy: true };
  return null;
}

const composeCommand = findCompose();

describe('docker compose config (client side, no engine needed)', () => {
  const skip = composeCommand ? false : 'neither `docker compose` nor `docker-compose` is installed: the files are not checked by compose itself';

  /** `config` on a compose file; docker-compose 1.x knows no top-level `name:`, -p says the same. */
  function config(file: string, envFile: string) {
    const { compose } = load(file);
    let path = join(DIR, file);
    if (composeCommand!.legacy) {
      path = join(scratch, file);
      writeFileSync(path, readFileSync(join(DIR, file), 'utf8').replace(/^name: .*$/m, ''));
    }
    const [command, ...prefix] = composeCommand!.argv;
    return spawnSync(command!, [...prefix, '--project-directory', DIR, '-p', compose.name, '--env-file', envFile, '-f', path, 'config'], { encoding: 'utf8' });
  }

  for (const version of VERSIONS) {
    it(`accepts ${version.file} with a filled .env, and refuses it while the keys are empty`, { skip }, () => {
      const filled = join(scratch, `${version.file}.env`);
      writeFileSync(
        filled,
        Object.entries(filledEnv())
          .map(([name, value]) => `${name}=${value}`)
          .join('\n'),
      );
      const accepted = config(version.file, filled);
      assert.equal(accepted.status, 0, accepted.stderr);
      assert.match(accepted.stdout, new RegExp(`${version.secrets[0]}: "?a{64}|${version.secrets[0]}: "?b{64}`));

      const refused = config(version.file, ENV_EXAMPLE);
      assert.notEqual(refused.status, 0, 'the example as-is has no keys: compose must stop');
      assert.match(refused.stderr, /set AIRFLOW_\w+ in \.env/);
    });
  }
});
