"""Loads the DAG file with small stand-ins for airflow and pendulum (not installed in CI) and prints
what Airflow would read from it, as JSON: the DAG's settings and each task's command, upstream
tasks, trigger rule, retries, timeout and mapping.

    inspect_dag.py DAG_FILE                        the DAG's shape
    inspect_dag.py DAG_FILE render TASK CONTEXT    one task's command rendered by Jinja2 (as Airflow
                                                   does, StrictUndefined) with CONTEXT, a JSON object
                                                   {"run_id", "try_number", "conf"}, plus for a mapped
                                                   task "map_index" and "expanded" (its mapped
                                                   arguments, e.g. {"env": {...}}); prints the command,
                                                   the instance's env and its rendered map_index_template
    inspect_dag.py DAG_FILE call TASK ARGS         a TaskFlow task's function called with ARGS (a JSON
                                                   array): prints {"result"}, or exits 1 with the error

STOCKFLOW_FAKE_AIRFLOW=3 offers only Airflow 3's module paths (airflow.sdk, the standard provider's
BashOperator); otherwise only Airflow 2's (airflow.decorators, airflow.operators.bash).
"""
import datetime
import json
import os
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


class FakeXComArg:
    """A task's return value (`task.output`, or what calling a TaskFlow task gives)."""

    def __init__(self, operator):
        self.operator = operator

    def __rshift__(self, other):
        return self.operator >> other


def link(upstream_id, task):
    if upstream_id not in task.upstream:
        task.upstream.append(upstream_id)


class FakeTask:
    def __init__(self, task_id, trigger_rule="all_success", retries=0, execution_timeout=None, **kwargs):
        if "default_args" in kwargs:
            raise TypeError("the stand-in does not apply default_args: set task settings on the task")
        self.task_id = task_id
        self.trigger_rule = trigger_rule
        self.retries = retries
        self.execution_timeout = execution_timeout
        self.kwargs = kwargs
        self.upstream = []
        self.expand = None
        if any(task.task_id == task_id for task in tasks):
            raise ValueError(f"two tasks named {task_id}")
        tasks.append(self)

    @property
    def output(self):
        return FakeXComArg(self)

    def __rshift__(self, other):
        target = other.operator if isinstance(other, FakeXComArg) else other
        link(self.task_id, target)
        return other


class FakeBashOperator(FakeTask):
    def __init__(self, task_id, bash_command, env=None, append_env=False, **kwargs):
        super().__init__(task_id, **kwargs)
        self.bash_command = bash_command
        self.env = env
        self.append_env = append_env

    @classmethod
    def partial(cls, **kwargs):
        return FakePartial(cls, kwargs)


class FakePartial:
    """BashOperator.partial(...): .expand(...) makes the mapped task."""

    def __init__(self, cls, kwargs):
        self.cls = cls
        self.kwargs = kwargs

    def expand(self, **mapped):
        overlap = set(mapped) & set(self.kwargs)
        if overlap:
            raise TypeError(f"{sorted(overlap)} given to both partial() and expand()")
        for name, value in mapped.items():
            if not isinstance(value, FakeXComArg):
                raise TypeError(f"the stand-in maps only over another task's output ({name})")
        operator = self.cls(**self.kwargs, **{name: None for name in mapped})
        operator.expand = {name: value.operator.task_id for name, value in mapped.items()}
        for value in mapped.values():
            link(value.operator.task_id, operator)
        return operator


class FakePythonTask(FakeTask):
    def __init__(self, function, args, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.args = [value.operator.task_id if isinstance(value, FakeXComArg) else {"literal": value} for value in args]
        for value in args:
            if isinstance(value, FakeXComArg):
                link(value.operator.task_id, self)


def fake_task(function=None, **settings):
    """@task / @task(...): calling the function adds the task and gives its output."""

    def decorate(inner):
        def make(*args, **kwargs):
            if kwargs:
                raise TypeError("the stand-in passes TaskFlow arguments by position only")
            return FakeXComArg(FakePythonTask(inner, args, **{"task_id": inner.__name__, **settings}))

        make.function = inner
        return make

    return decorate(function) if function is not None else decorate


airflow_version = os.environ.get("STOCKFLOW_FAKE_AIRFLOW", "2")
airflow = types.ModuleType("airflow")
airflow.DAG = FakeDAG
pendulum = types.ModuleType("pendulum")
pendulum.datetime = lambda *args, **kwargs: datetime.datetime(*args, tzinfo=datetime.timezone.utc)
pendulum.duration = lambda **kwargs: datetime.timedelta(**kwargs)
modules = {"airflow": airflow, "pendulum": pendulum}
if airflow_version == "3":
    bash = types.ModuleType("airflow.providers.standard.operators.bash")
    sdk = types.ModuleType("airflow.sdk")
    sdk.task = fake_task
    modules.update({
        "airflow.providers": types.ModuleType("airflow.providers"),
        "airflow.providers.standard": types.ModuleType("airflow.providers.standard"),
        "airflow.providers.standard.operators": types.ModuleType("airflow.providers.standard.operators"),
        "airflow.providers.standard.operators.bash": bash,
        "airflow.sdk": sdk,
    })
else:
    bash = types.ModuleType("airflow.operators.bash")
    decorators = types.ModuleType("airflow.decorators")
    decorators.task = fake_task
    modules.update({"airflow.operators": types.ModuleType("airflow.operators"), "airflow.operators.bash": bash, "airflow.decorators": decorators})
bash.BashOperator = FakeBashOperator
sys.modules.update(modules)

namespace = {"__name__": "stockflow_dag"}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), namespace)
dag = dags[0]


def seconds(value):
    return None if value is None else value.total_seconds()


def find(task_id):
    return next(task for task in tasks if task.task_id == task_id)


if len(sys.argv) > 2 and sys.argv[2] == "render":
    import jinja2

    task = find(sys.argv[3])
    context = json.loads(sys.argv[4])
    env = task.env
    if task.expand is not None:
        # Airflow resolves the mapped arguments from XCom and does not render them as templates.
        expanded = context["expanded"]
        if sorted(expanded) != sorted(task.expand):
            raise ValueError(f"{task.task_id} is mapped over {sorted(task.expand)}, not {sorted(expanded)}")
        if not isinstance(context.get("map_index"), int) or context["map_index"] < 0:
            raise ValueError(f"{task.task_id} is mapped: give its map_index")
        env = expanded.get("env", env)
    map_index = context.get("map_index", -1)
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    # Airflow renders a mapped instance's name after it ran, with the expanded operator as `task`.
    template = task.kwargs.get("map_index_template")
    label = None if template is None else environment.from_string(template).render(task=types.SimpleNamespace(task_id=task.task_id, env=env))
    rendered = environment.from_string(task.bash_command).render(
        run_id=context["run_id"],
        ti=types.SimpleNamespace(try_number=context["try_number"], task_id=task.task_id, map_index=map_index),
        task=types.SimpleNamespace(retries=task.retries, task_id=task.task_id),
        dag_run=types.SimpleNamespace(conf=context.get("conf", {}), run_id=context["run_id"]),
    )
    print(json.dumps({"command": rendered, "env": env, "append_env": task.append_env, "map_index_label": label}))
    sys.exit(0)

if len(sys.argv) > 2 and sys.argv[2] == "call":
    task = find(sys.argv[3])
    try:
        result = task.function(*json.loads(sys.argv[4]))
    except Exception as error:  # what the task's log would show
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"result": result}))
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
            "kind": "python" if isinstance(task, FakePythonTask) else "bash",
            "bash_command": getattr(task, "bash_command", None),
            "upstream": task.upstream,
            "trigger_rule": task.trigger_rule,
            "retries": task.retries,
            "execution_timeout": seconds(task.execution_timeout),
            "expand": task.expand,
            "args": getattr(task, "args", None),
            "append_env": getattr(task, "append_env", None),
            "do_xcom_push": task.kwargs.get("do_xcom_push", True),
            "map_index_template": task.kwargs.get("map_index_template"),
        }
        for task in tasks
    ],
}))
