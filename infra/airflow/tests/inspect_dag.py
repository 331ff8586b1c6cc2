"""Loads the DAG file with minimal stand-ins for airflow and pendulum (not installed in CI) and
prints its tasks, dependencies, callbacks and settings as JSON for infra/airflow/dag.test.ts."""
import json
import sys
import types

tasks = []
dags = []


class FakeDAG:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        dags.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeBashOperator:
    def __init__(self, task_id, bash_command, **kwargs):
        self.task_id = task_id
        self.bash_command = bash_command
        self.downstream = []
        tasks.append(self)

    def __rshift__(self, other):
        self.downstream.append(other.task_id)
        return other


airflow = types.ModuleType("airflow")
airflow.DAG = FakeDAG
operators = types.ModuleType("airflow.operators")
bash = types.ModuleType("airflow.operators.bash")
bash.BashOperator = FakeBashOperator
pendulum = types.ModuleType("pendulum")
pendulum.datetime = lambda *args, **kwargs: "2024-01-01T00:00:00+00:00"
pendulum.duration = lambda **kwargs: kwargs
sys.modules.update({"airflow": airflow, "airflow.operators": operators, "airflow.operators.bash": bash, "pendulum": pendulum})

calls = []
import subprocess  # noqa: E402

subprocess.run = lambda args, check=False: calls.append(args)

namespace = {"__name__": "stockflow_dag"}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), namespace)
dag = dags[0]
dag.kwargs["on_failure_callback"]({"run_id": "manual__2026-01-01T00:00:00+00:00"})
dag.kwargs["on_success_callback"]({"run_id": "manual__2026-01-01T00:00:00+00:00"})
print(json.dumps({
    "dag_id": dag.kwargs["dag_id"],
    "schedule": dag.kwargs.get("schedule", "missing"),
    "max_active_runs": dag.kwargs.get("max_active_runs"),
    "tasks": [{"task_id": t.task_id, "bash_command": t.bash_command, "downstream": t.downstream} for t in tasks],
    "callback_commands": calls,
}))
