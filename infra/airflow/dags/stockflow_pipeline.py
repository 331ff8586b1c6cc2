"""stockflow's pipeline as an Airflow DAG.

One task per step, each running the stockflow CLI (`stockflow step NAME`), which records the try,
its progress and its log lines in stockflow's own tables, as the embedded runner does: the control
panel shows Airflow runs from there. There is no processing logic here; the steps live in the
stockflow package (server/pipeline/steps.ts), the same code the embedded runner executes.

discover >> transform >> load >> notify. notify runs whatever happened before it (all_done) and
sends the Success or Failure mail itself; it also writes the run's ending by stockflow's rule. A
run is failed in Airflow too when a data step failed: `fail_run` (one_failed) fails the run then,
since notify, the other leaf, succeeds after mailing the failure.

Runs are started by the S3 -> Lambda -> REST API trigger (no schedule); the .SUCCESS marker that
started a run arrives in dag_run.conf as {"marker": {"bucket", "key", "version"}} and is recorded
on the run.
"""
from __future__ import annotations

import pendulum
from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

DATA_STEPS = ["discover", "transform", "load"]
NOTIFY_STEP = "notify"
RETRIES = 2
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


def step_command(step: str) -> str:
    """The task's command: a clean environment, then `stockflow step` with the run's identity.

    Airflow allows run ids of [A-Za-z0-9_.~:+-] only, and Jinja's tojson escapes quotes, so the
    single-quoted arguments cannot be broken out of.
    """
    timeout_ms = int(EXECUTION_TIMEOUT[step].total_seconds() * 1000) - 60_000
    passed = " ".join(f'{name}="${{{name}:-}}"' for name in STEP_ENV)
    return (
        f'exec env -i PATH="$PATH" HOME="$HOME" TZ=UTC {passed} STOCKFLOW_STEP_TIMEOUT_MS={timeout_ms} '
        f"stockflow step {step} --engine airflow --run-id '{{{{ run_id }}}}' "
        "--try {{ ti.try_number }} --max-tries {{ task.retries + 1 }} "
        "--conf '{{ dag_run.conf | tojson }}'"
    )


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
    data_tasks = [
        BashOperator(
            task_id=step,
            bash_command=step_command(step),
            retries=RETRIES,
            retry_delay=pendulum.duration(seconds=30),
            retry_exponential_backoff=True,
            execution_timeout=EXECUTION_TIMEOUT[step],
        )
        for step in DATA_STEPS
    ]
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
    fail_run = BashOperator(
        task_id="fail_run",
        bash_command="echo 'a data step failed: the run is failed (notify has mailed it)' >&2; exit 1",
        trigger_rule="one_failed",
        retries=0,
        execution_timeout=pendulum.duration(minutes=1),
    )
    for upstream, downstream in zip(data_tasks, data_tasks[1:] + [notify]):
        upstream >> downstream
    for task in data_tasks:
        task >> fail_run
