"""What a ``flywheel`` command that runs the pipeline does about its own process.

A long-lived process (a Dagster daemon, a test session) pays these costs once; ``flywheel run``,
``demo`` and ``bench`` are a process each, and pay them on every run: for one small day, ~8 of its
~73 s (docs/benchmarks.md, run Q).

- The code location (Dagster's definitions and the repository built from them, dbt's manifest,
  Presidio's recognizers: ~600,000 objects) lives until the command exits, yet every full pass
  of Python's garbage collector walks it again, and the interpreter's shutdown walks it once
  more (~4 s after the last run, py-spy). ``gc.freeze`` moves what is alive at that point out of
  the collector's sight (after one collection, so that no garbage is pinned with it: a frozen
  cycle is never collected); what the runs allocate afterwards is collected as before, and a
  frozen object whose references all go is still freed.
- Great Expectations is imported by the first quality gate: 5-8 CPU s (scipy, SQLAlchemy and
  Altair come with it). The gates run right after dbt, a child process that keeps one core busy
  while this process only reads its events; so the daily dbt step starts that import on a thread
  (``pipelines.signals.quality.start_importing_great_expectations``) and the gates find it done.
  Only where this process runs the gates after dbt, which a command's in-process runs always do;
  a deployment that runs each step in a process of its own does not ask for it.
"""

from __future__ import annotations

import gc
import sys

# Whether this process is a ``flywheel`` command's own (its console-script entry point ran): only
# then is what is alive at a command's start alive until its exit. A test that invokes a command
# in its own process (typer's CliRunner) leaves this False, and nothing here changes that process.
_own_process = False


def claim() -> None:
    """Called by the ``flywheel`` entry point: this process runs one command, then exits."""
    global _own_process
    _own_process = True


def prepare_for_runs() -> bool:
    """Before a command's first run: load the code location and freeze it; let the daily dbt step
    import Great Expectations early. False (and nothing done) in a process that is not the
    command's own."""
    if not _own_process:
        return False
    from pipelines.definitions import defs
    from pipelines.signals import quality

    defs.get_repository_def()  # the jobs and asset graph, built on first use, also live to the end
    gc.collect()
    gc.freeze()
    quality.allow_early_great_expectations_import()
    return True


def before_exit() -> None:
    """Let an early import still running end, then spare the interpreter's shutdown its
    collection passes over everything still alive."""
    if not _own_process:
        return
    quality = sys.modules.get("pipelines.signals.quality")  # a light command never loaded it
    if quality is not None:
        quality.finish_importing_great_expectations()
    gc.freeze()
