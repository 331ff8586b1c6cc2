"""Loads the DAG file with small stand-ins for airflow and pendulum (not installed in CI) and prints
what Airflow would read from it, as JSON: the DAG's settings and each task's command, upstream
tasks, trigger rule, retries and timeout.

    inspect_dag.py DAG_FILE                        the DAG's shape
    inspect_dag.py DAG_FILE render TASK CONTEXT    one task's command rendered by Jinja2 (as Airflow
                                                   does, StrictUndefined) with CONTEXT, a JSON object
                                                   {"run_id", "try_number", "conf"}
"""
import datetime
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
    def __init__(self, task_id, bash_command, trigger_rule="all_success", retries=0, execution_timeout=None, **kwargs):
        if "default_args" in kwargs:
            raise TypeError("the stand-in does not apply default_args: set task settings on the task")
        self.task_id = task_id
        self.bash_command = bash_command
        self.trigger_rule = trigger_rule
        self.retries = retries
        self.execution_timeout = execution_timeout
        self.kwargs = kwargs
        self.upstream = []
        tasks.append(self)

    def __rshift__(self, other):
        other.upstream.append(self.task_id)
        return other


airflow = types.ModuleType("airflow")
airflow.DAG = FakeDAG
bash = types.ModuleType("airflow.operators.bash")
bash.BashOperator = FakeBashOperator
pendulum = types.ModuleType("pendulum")
pendulum.datetime = lambda *args, **kwargs: datetime.datetime(*args, tzinfo=datetime.timezone.utc)
pendulum.duration = lambda **kwargs: datetime.timedelta(**kwargs)
sys.modules.update({"airflow": airflow, "airflow.operators": types.ModuleType("airflow.operators"), "airflow.operators.bash": bash, "pendulum": pendulum})

namespace = {"__name__": "stockflow_dag"}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), namespace)
dag = dags[0]


def seconds(value):
    return None if value is None else value.total_seconds()


if len(sys.argv) > 2 and sys.argv[2] == "render":
    import jinja2

    task = next(task for task in tasks if task.task_id == sys.argv[3])
    context = json.loads(sys.argv[4])
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    rendered = environment.from_string(task.bash_command).render(
        run_id=context["run_id"],
        ti=types.SimpleNamespace(try_number=context["try_number"], task_id=task.task_id),
        task=types.SimpleNamespace(retries=task.retries, task_id=task.task_id),
        dag_run=types.SimpleNamespace(conf=context.get("conf", {}), run_id=context["run_id"]),
    )
    print(json.dumps({"command": rendered}))
    sys.exit(0)

print(json.dumps({
    "dag_id": dag.kwargs["dag_id"],
    "schedule": dag.kwargs.get("schedule", "missing"),
    "catchup": dag.kwargs.get("catchup"),
    "max_active_runs": dag.kwargs.get("max_active_runs"),
    "dagrun_timeout": seconds(dag.kwargs.get("dagrun_timeout")),
    "callbacks": sorted(name for name in dag.kwargs if name.endswith("_callback")),
    "tasks": [
        {
            "task_id": task.task_id,
            "bash_command": task.bash_command,
            "upstream": task.upstream,
            "trigger_rule": task.trigger_rule,
            "retries": task.retries,
            "execution_timeout": seconds(task.execution_timeout),
        }
        for task in tasks
    ],
}))
