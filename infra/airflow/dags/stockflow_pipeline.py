"""stockflow's pipeline as an Airflow DAG.

One BashOperator per data step, each calling the stockflow CLI; the DAG's success and failure
callbacks run the notify step. There is no processing logic here: the steps live in the stockflow
package (server/pipeline/steps.ts), the same code the embedded runner executes.

Runs are started by the S3 -> Lambda -> REST API trigger (no schedule); the .SUCCESS marker that
started a run arrives in the run's conf as {"marker": {"bucket", "key", "etag"}}.
"""
from __future__ import annotations

import subprocess

import pendulum
from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

STOCKFLOW = "stockflow"
DATA_STEPS = ["discover", "transform", "load"]
NOTIFY_STEP = "notify"


def step_command(step: str) -> str:
    return f"{STOCKFLOW} step {step} --run-id '{{{{ run_id }}}}'"


def run_notify(context) -> None:
    """Success and failure callback: the notify step reads the run's recorded outcome itself."""
    subprocess.run([STOCKFLOW, "step", NOTIFY_STEP, "--run-id", context["run_id"]], check=False)


with DAG(
    dag_id="stockflow_pipeline",
    description="Stock CSV files from S3 into PostgreSQL (stockflow)",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=30), "retry_exponential_backoff": True},
    on_success_callback=run_notify,
    on_failure_callback=run_notify,
    tags=["stockflow"],
) as dag:
    previous = None
    for step in DATA_STEPS:
        task = BashOperator(task_id=step, bash_command=step_command(step))
        if previous is not None:
            previous >> task
        previous = task
