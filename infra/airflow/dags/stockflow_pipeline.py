"""stockflow's pipeline as an Airflow DAG.

One task per step, each running the stockflow CLI (`stockflow step NAME`), which records the try,
its progress and its log lines in stockflow's own tables, as the embedded runner does: the control
panel shows Airflow runs from there. There is no processing logic here; the steps live in the
stockflow package (server/pipeline/steps.ts), the same code the embedded runner executes.

discover >> shards >> transform (mapped) >> load (mapped) >> notify. discover prints the run's
shard list as the last line of its stdout (["1/1"] for an unsharded run, ["1/3", "2/3", "3/3"]
for three: N from the run conf {"shards": N} or from the batch size); `shards` checks it and turns
it into one environment per shard, and transform and load are mapped over those (dynamic task
mapping, `.partial().expand()`): instance i runs `stockflow step transform|load --shard i/N`,
which records its try and log under `transform[i/N]` / `load[i/N]`. Every load instance waits for
every transform instance (see below): when discover found that the load rebuilds the table anyway
(a first load, a large batch), load 1/N loads every shard's part in one transaction and the other
load instances only record that (stockflow's `oneLoad`, docs/SCALING.md). notify runs whatever
happened before it (all_done), merges the shards' results, sends the Success or Failure mail
itself and writes the run's ending by stockflow's rule. A run is failed in Airflow too when a data
task (any mapped instance included) failed: `fail_run` (one_failed) fails the run then, since
notify, the other leaf, succeeds after mailing the failure.

Runs are started by the S3 -> Lambda -> REST API trigger (no schedule); the .SUCCESS marker that
started a run arrives in dag_run.conf as {"marker": {"bucket", "key", "version"}} and is recorded
on the run.
"""
from __future__ import annotations

import json

import pendulum
from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator
try:  # Airflow 3
    from airflow.sdk import task
except ImportError:  # Airflow 2
    from airflow.decorators import task

DATA_STEPS = ["discover", "transform", "load"]
SHARDED_STEPS = ["transform", "load"]
NOTIFY_STEP = "notify"
RETRIES = 2
# Most shards a run may have: MAX_SHARDS in server/pipeline/shard.ts (Airflow's max_map_length,
# 1024 by default, is above it).
MAX_SHARDS = 256
# The variable a mapped instance reads its shard from (its `env`, merged into the worker's).
SHARD_VARIABLE = "STOCKFLOW_SHARD"
# Longest a try may take; the step itself stops a minute earlier, so it records its own timeout.
EXECUTION_TIMEOUT = {
    "discover": pendulum.duration(minutes=10),
    "transform": pendulum.duration(minutes=60),
    "load": pendulum.duration(minutes=60),
    "notify": pendulum.duration(minutes=10),
}
# The only variables a step process sees: stockflow's settings, never Airflow's own secrets.
STEP_ENV = [
    "DATABASE_URL", "DATABASE_CA_FILE", "PGSSLROOTCERT", "PGSSLMODE",
    "STOCKFLOW_SOURCE", "S3_ENDPOINT", "S3_FORCE_PATH_STYLE",
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "STOCKFLOW_COHORT", "STOCKFLOW_FIRST_NAME", "STOCKFLOW_SURNAME", "STOCKFLOW_CONCURRENCY",
    "STOCKFLOW_NOTIFIER", "SNS_TOPIC_ARN", "SNS_ENDPOINT", "SMTP_URL", "STOCKFLOW_MAIL_FROM", "STOCKFLOW_MAIL_TO",
]


def run_step(step: str, sharded: bool = False) -> str:
    """`stockflow step` in a clean environment, with the run's identity (and its shard).

    Airflow allows run ids of [A-Za-z0-9_.~:+-] only, and Jinja's tojson escapes quotes, so the
    single-quoted arguments cannot be broken out of. The shard comes from the instance's
    environment, double-quoted: whatever it holds stays one argument, which the CLI checks.
    """
    timeout_ms = int(EXECUTION_TIMEOUT[step].total_seconds() * 1000) - 60_000
    passed = " ".join(f'{name}="${{{name}:-}}"' for name in STEP_ENV)
    shard = f' --shard "${{{SHARD_VARIABLE}:?no shard given}}"' if sharded else ""
    return (
        f'exec env -i PATH="$PATH" HOME="$HOME" TZ=UTC {passed} STOCKFLOW_STEP_TIMEOUT_MS={timeout_ms} '
        f"stockflow step {step} --engine airflow --run-id '{{{{ run_id }}}}'{shard} "
        "--try {{ ti.try_number }} --max-tries {{ task.retries + 1 }} "
        "--conf '{{ dag_run.conf | tojson }}'"
    )


def step_command(step: str) -> str:
    """The task's command. discover's XCom is its shard list: BashOperator pushes the last line of
    the output, but it reads stdout and stderr as one stream, so discover's stdout is captured and
    its last line printed once the CLI has ended (a late log line on stderr is never taken for it)."""
    if step == "discover":
        return f'shards="$({run_step(step)})" || exit $?\nprintf \'%s\\n\' "$shards" | tail -n 1'
    return run_step(step, sharded=step in SHARDED_STEPS)


def parse_shards(output: object) -> list[str]:
    """discover's last output line -> its shard list; anything but ["1/N", ..., "N/N"] is refused."""
    if not isinstance(output, str):
        raise ValueError(f"discover pushed {type(output).__name__}, not its shard list line")
    try:
        shards = json.loads(output)
    except ValueError:
        raise ValueError(f"discover's last output line is not a JSON shard list: {output[:200]!r}") from None
    if not isinstance(shards, list) or not 1 <= len(shards) <= MAX_SHARDS:
        raise ValueError(f"discover's shard list must be a JSON array of 1 to {MAX_SHARDS} shards: {output[:200]!r}")
    expected = [f"{index}/{len(shards)}" for index in range(1, len(shards) + 1)]
    if shards != expected:
        raise ValueError(f'discover\'s shard list must be "1/N" to "N/N" in order, N its length: {output[:200]!r}')
    return shards


with DAG(
    dag_id="stockflow_pipeline",
    description="Stock CSV files from S3 into PostgreSQL (stockflow)",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=pendulum.duration(hours=6),
    tags=["stockflow"],
) as dag:
    discover = BashOperator(
        task_id="discover",
        bash_command=step_command("discover"),
        do_xcom_push=True,
        retries=RETRIES,
        retry_delay=pendulum.duration(seconds=30),
        retry_exponential_backoff=True,
        execution_timeout=EXECUTION_TIMEOUT["discover"],
    )

    # A wrong list is a bug, not a passing fault: no retries. It runs in the worker (plain Python).
    @task(task_id="shards", retries=0, execution_timeout=pendulum.duration(minutes=1))
    def shard_environments(discover_output: str) -> list[dict[str, str]]:
        return [{SHARD_VARIABLE: shard} for shard in parse_shards(discover_output)]

    shard_envs = shard_environments(discover.output)

    # Mapped over the shards. Each instance's env holds only its shard; append_env keeps the
    # worker's environment (PATH, HOME, stockflow's settings) under it, and the command's `env -i`
    # passes on only STEP_ENV. `env` is the mapped argument, not bash_command, because Airflow
    # does not render Jinja in values that come from XCom, while bash_command needs rendering.
    def mapped_step(step: str):
        return BashOperator.partial(
            task_id=step,
            bash_command=step_command(step),
            append_env=True,
            # The instance's name in Airflow's grid and logs ("shard 2/8"), not a bare map index;
            # .get: a name that cannot render must not hide the step's own error.
            map_index_template="shard {{ task.env.get('" + SHARD_VARIABLE + "', 'missing') }}",
            retries=RETRIES,
            retry_delay=pendulum.duration(seconds=30),
            retry_exponential_backoff=True,
            execution_timeout=EXECUTION_TIMEOUT[step],
        ).expand(env=shard_envs)

    transform = mapped_step("transform")
    load = mapped_step("load")
    # Every load instance waits for every transform instance (a mapped task downstream of another
    # outside a mapped task group depends on all of its instances), rather than a mapped task group
    # running transform[i] >> load[i] per shard: a failed transform then loads no shard at all,
    # instead of committing some companies of the batch and not others; and plain `.partial().expand()`
    # on classic operators behaves the same in Airflow 2.10 and 3, where mapped task groups'
    # trigger rules and per-index upstream checks have differed between releases.
    transform >> load

    notify = BashOperator(
        task_id=NOTIFY_STEP,
        bash_command=step_command(NOTIFY_STEP),
        trigger_rule="all_done",
        # A re-run never mails twice (the outbox dedupes), so retrying an undelivered mail is safe.
        retries=RETRIES,
        retry_delay=pendulum.duration(seconds=30),
        retry_exponential_backoff=True,
        execution_timeout=EXECUTION_TIMEOUT[NOTIFY_STEP],
    )
    load >> notify
    fail_run = BashOperator(
        task_id="fail_run",
        bash_command="echo 'a data step failed: the run is failed (notify has mailed it)' >&2; exit 1",
        trigger_rule="one_failed",
        retries=0,
        execution_timeout=pendulum.duration(minutes=1),
    )
    # one_failed counts every mapped instance of an upstream task (and upstream_failed).
    for upstream in [discover, shard_envs, transform, load]:
        upstream >> fail_run
