"""How Flywheel's process pools start their workers: forked from a server that already holds what
they import, instead of each worker importing it again.

The pools (ingest's, the scrubber's workers, the training set's MinHash workers) use the ``forkserver``
start method where there is one: a worker is forked from a small server process, never from the
process that holds DuckDB connections, Dagster's instance and threads. But a worker forked from a
bare server imports everything it needs itself (Presidio, spaCy and the scrubber: ~3 CPU s), and
multiprocessing runs the main script again in every worker, so whatever that script imports too:
``flywheel`` imports the whole CLI (~2 CPU s more). Measured on this machine, starting the
scrubber's two workers under a ``flywheel``-like script: 10.5 CPU s and 5.7 s wall, against
1.0-1.6 CPU s and ~1 s once the server holds those modules (the server imports them once, ~5 s,
and serves every later pool of the process: the benchmark starts one pool a day).

CPython's own default, preloading ``"__main__"``, never takes effect (3.11: the server is not told
the main script's path), so ``worker_context`` also preloads the modules the main script's names
come from (``flywheel``: ``pipelines.cli``), which makes the script's second run in each worker
cheap. The main module itself is never preloaded (``python -m pkg`` whose ``__main__`` is not
guarded would run its command line in the server). The server starts with the first pool of a
process and keeps the preload list of that moment; a module a later pool adds is imported by its
workers themselves, as before.

Python 3.11's server also ignores the import path it is given and puts its working directory
first: a ``pipelines`` folder there (another checkout) would be preloaded instead of this
process's. ``worker_context`` therefore starts the server itself, with this process's path
(``PYTHONPATH``) and without the working directory (``PYTHONSAFEPATH``). Workers still fork from
the server, never from the process that holds DuckDB connections; the server is no longer
thread-free (pyarrow, imported with the scrubber, runs jemalloc's background thread), which
jemalloc's and Arrow's fork handlers cover.
"""

from __future__ import annotations

import inspect
import multiprocessing
import os
import sys
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from types import ModuleType

from pipelines.settings import environment_holding

FORKSERVER = "forkserver"
# The modules the workers of Flywheel's pools run (ingest, the scrubber, the training set's MinHash).
# The server keeps the preload list of the pool that started it, and the daily job's first pool is
# ingest's: so every pool asks for all of them, and the scrubber's workers still fork with Presidio
# and spaCy loaded whichever pool came first.
POOL_MODULES = ("pipelines.ingest.load", "pipelines.privacy.scrubber", "pipelines.datasets.build")
# Modules every pool of this process asked the server to hold (the server reads the list once).
_preloaded: set[str] = set()


def default_start_method() -> str:
    """``forkserver`` where there is one (Linux, macOS), else ``spawn``: never a plain fork."""
    return FORKSERVER if FORKSERVER in multiprocessing.get_all_start_methods() else "spawn"


def main_script_modules(main: ModuleType | None) -> set[str]:
    """The modules a main script's top-level names come from: what its run in a worker imports.

    Nothing when there is no script to run again (``python -c``, stdin, an interpreter prompt).
    """
    if main is None or getattr(main, "__file__", None) is None:
        return set()
    names = set()
    for value in vars(main).values():
        if inspect.ismodule(value):
            names.add(value.__name__)
        elif inspect.isfunction(value) or inspect.isclass(value):
            names.add(value.__module__)  # None for a function made by exec()
    return {
        name for name in names
        if isinstance(name, str) and name not in ("__main__", "__mp_main__", "builtins")
        and not name.endswith(".__main__")
    }  # fmt: skip


def can_start_workers() -> bool:
    """Workers run the caller's main script again: impossible when it was read from stdin (its
    file name does not exist); then the caller does the work itself."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.exists(main_file)


def worker_context(start_method: str, needed_modules: tuple[str, ...]) -> BaseContext:
    """The multiprocessing context for a pool whose workers import ``needed_modules``.

    With ``forkserver``, the server (if this call is the first to start it) preloads those and the
    main script's modules; every other start method is returned as it is.
    """
    context = multiprocessing.get_context(start_method)
    if start_method == FORKSERVER:
        _preloaded.update(POOL_MODULES, needed_modules, main_script_modules(sys.modules.get("__main__")))
        context.set_forkserver_preload(["__main__", *sorted(_preloaded)])
        with environment_holding(server_import_environment(sys.path, os.getcwd())):
            forkserver.ensure_running()  # no-op when this process's server runs already
    return context


def server_import_environment(import_path: list[str], working_dir: str) -> dict[str, str]:
    """What makes a new interpreter import as a process with ``import_path`` does (see the module
    docstring): that path in ``PYTHONPATH`` ("" is the working directory), no implicit entry."""
    entries = [entry or working_dir for entry in import_path]
    return {"PYTHONPATH": os.pathsep.join(dict.fromkeys(entries)), "PYTHONSAFEPATH": "1"}
