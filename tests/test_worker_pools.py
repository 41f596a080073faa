"""Worker pools start from a forkserver that already holds the modules their workers need."""

import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from pipelines.worker_pools import (
    main_script_modules,
    server_import_environment,
    worker_context,
)

REPO = Path(__file__).resolve().parents[1]


def test_a_scripts_modules_are_where_its_functions_classes_and_imports_come_from() -> None:
    script = types.ModuleType("__main__")
    script.__file__ = "/somewhere/flywheel"
    script.main = main_script_modules  # like `from pipelines.cli import main`
    script.Path = Path
    script.textwrap = textwrap
    script.local = int  # a builtin: nothing to import

    assert main_script_modules(script) == {"pipelines.worker_pools", "pathlib", "textwrap"}


def test_the_main_module_itself_and_nameless_functions_are_never_preloaded() -> None:
    # python -m dagster: dagster/__main__.py runs its command line on import, unguarded
    as_module = types.ModuleType("__main__")
    as_module.__file__ = "/venv/lib/dagster/__main__.py"
    as_module.__spec__ = types.SimpleNamespace(name="dagster.__main__")
    as_module.cli_main = types.FunctionType(main_script_modules.__code__, {})
    as_module.cli_main.__module__ = "dagster.__main__"
    namespace: dict[str, object] = {}
    exec("def made_by_exec(): pass", namespace)  # its __module__ is None
    as_module.made_by_exec = namespace["made_by_exec"]
    assert main_script_modules(as_module) == set()

    from_dash_c = types.ModuleType("__main__")  # python -c / stdin: no file, nothing run again
    from_dash_c.main = main_script_modules
    assert main_script_modules(from_dash_c) == set()
    assert main_script_modules(None) == set()


def test_the_server_imports_from_this_process_path_not_its_working_directory() -> None:
    environment = server_import_environment(["", "/app", "/venv/site-packages", "/app"], "/work")
    assert environment == {"PYTHONPATH": os.pathsep.join(["/work", "/app", "/venv/site-packages"]),
                           "PYTHONSAFEPATH": "1"}


def test_other_start_methods_are_returned_as_they_are() -> None:
    assert worker_context("spawn", ("json",)).get_start_method() == "spawn"


# A fresh interpreter (the server is started once per process, so this test's own process may
# already have one): does a worker find the module loaded before its task imports anything?
_SCRIPT = """
import sys
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
from pipelines.worker_pools import worker_context

def loaded(name):
    return name in sys.modules

if __name__ == "__main__":
    how, asked, wanted = sys.argv[1:]
    if how == "preload":
        context = worker_context("forkserver", (asked,))
    else:
        context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        print(pool.submit(loaded, wanted).result())
"""


@pytest.mark.parametrize(
    ("how", "asked", "wanted", "expected"),
    [
        ("preload", "pipelines.datasets.minhash", "pipelines.datasets.minhash", "True"),
        ("plain", "pipelines.datasets.minhash", "pipelines.datasets.minhash", "False"),
        # ingest's pool starts the server in a daily run: the scrubber's workers fork from it later
        ("preload", "pipelines.ingest.load", "pipelines.privacy.scrubber", "True"),
    ],
)
def test_a_worker_forks_with_the_needed_modules_already_loaded(
    tmp_path: Path, how: str, asked: str, wanted: str, expected: str
) -> None:
    script = tmp_path / "pool_script.py"
    script.write_text(_SCRIPT)
    result = subprocess.run(
        [sys.executable, str(script), how, asked, wanted], capture_output=True, text=True, cwd=REPO,
        timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


# The script's folder and the working directory each hold a module of the same name: the script
# imports its own; so must the server that preloads it (Python 3.11's would take the other one).
_SHADOWED = """
import sys
from concurrent.futures import ProcessPoolExecutor
from pipelines.worker_pools import worker_context
import shadowed

def where(_):
    return sys.modules["shadowed"].WHERE

if __name__ == "__main__":
    with ProcessPoolExecutor(1, mp_context=worker_context("forkserver", ("shadowed",))) as pool:
        print(shadowed.WHERE, pool.submit(where, 0).result())
"""


def test_a_preloaded_module_is_the_one_this_process_imports(tmp_path: Path) -> None:
    app, elsewhere = tmp_path / "app", tmp_path / "elsewhere"
    app.mkdir()
    elsewhere.mkdir()
    (app / "script.py").write_text(_SHADOWED)
    (app / "shadowed.py").write_text('WHERE = "app"\n')
    (elsewhere / "shadowed.py").write_text('WHERE = "working directory"\n')
    result = subprocess.run(
        [sys.executable, str(app / "script.py")], capture_output=True, text=True, cwd=elsewhere,
        timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["app", "app"]
