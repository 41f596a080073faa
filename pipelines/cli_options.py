"""Options and home handling shared by every ``flywheel`` command (top level and stage sub-apps)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipelines import settings

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="State directory (default: $FLYWHEEL_HOME or .flywheel/ in the project)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document for scripts.")]
# Catching up (runner.run_days): `flywheel run`, `flywheel demo` and `flywheel bench`.
DaysPerDbtBuildOption = Annotated[int, typer.Option(
    min=1, help="Catching up: dbt's daily models build up to this many consecutive days in one run "
    "(ingest and scrubbing stay day by day). 1: one build a day, as the schedule runs.")]


def open_home(home: Path | None, console: Console) -> settings.FlywheelPaths:
    """The home's paths, its layout created and the environment pointed at it; exit 4 with the
    reason when it cannot be used (not writable, a file where a directory should be)."""
    from pipelines import runner

    resolved = settings.paths(home)
    try:
        runner.prepare_environment(resolved)
    except OSError as exc:  # StateNotWritable, or a file where a directory should be
        console.print(f"[red]cannot use {resolved.home}[/]: {exc}")
        raise typer.Exit(4) from None
    return resolved
