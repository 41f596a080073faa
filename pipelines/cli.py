"""The ``flywheel`` command line: simulate a platform, run the pipeline, inspect what it built."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from pipelines import command_process, runner, settings
from pipelines.cli_options import DaysPerDbtBuildOption, HomeOption, open_home
from pipelines.locks import RunLockHeld

app = typer.Typer(
    help="Flywheel: interaction logs in, scrubbed training sets and model economics out.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)

# Sub-commands of the stages, each light to import (no model, no Dagster definitions loaded).
from pipelines.bench.cli import bench as bench_command  # noqa: E402
from pipelines.datasets.cli import app as datasets_app  # noqa: E402
from pipelines.deletion.cli import forget as forget_command  # noqa: E402
from pipelines.privacy.cli import app as pii_app  # noqa: E402

app.add_typer(pii_app, name="pii", help="Measure the scrubber: PII and secret evaluation, benchmark.")
app.add_typer(datasets_app, name="datasets", help="Training-set versions: list, show, diff, export.")
app.command("forget")(forget_command)  # deletion requests: pipelines/deletion/README.md
app.command("bench")(bench_command)  # the end-to-end benchmark: docs/benchmarks.md

def _home(home: Path | None) -> settings.FlywheelPaths:
    return open_home(home, console)


@app.command()
def generate(
    home: HomeOption = None,
    start: Annotated[str, typer.Option(help="First simulated day, YYYY-MM-DD.")] = "2026-11-02",
    days: Annotated[int, typer.Option(min=1, help="Number of days to simulate.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same bytes.")] = 7,
    interactions_per_day: Annotated[int, typer.Option(min=1, help="Turns (a prompt and its generations) per day.")] = 2000,
    workspaces: Annotated[int, typer.Option(min=1, help="Workspaces at the start.")] = 120,
) -> None:
    """Simulate a vibe-coding platform: gzipped JSONL in the landing zone, plus its ground truth."""
    from pipelines.simulator import SimulationConfig
    from pipelines.simulator import generate as simulate

    paths = _home(home)
    config = SimulationConfig(
        seed=seed,
        start=date.fromisoformat(start),
        days=days,
        interactions_per_day=interactions_per_day,
        workspaces=workspaces,
    )
    with console.status(f"simulating {days} days from {start} into {paths.landing}"):
        report = simulate(paths, config)
    console.print(
        f"[green]generated[/] {report.events_written:,} events in {report.seconds:.1f} s "
        f"({report.events_per_second:,.0f} events/s) into {paths.landing}; ground truth in {paths.ground_truth}"
    )


def _run(paths: settings.FlywheelPaths, days: list[str], wait_seconds: float = 0.0,
         days_per_dbt_build: int = 1) -> runner.RunReport:
    # one run a day and the history job; catching up adds one run per range dbt builds
    ranges = len(list(runner.consecutive_groups(days, days_per_dbt_build))) if days_per_dbt_build > 1 else 0
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(), console=console,
    ) as progress:
        task = progress.add_task("running", total=len(days) + ranges + 1)

        def show(outcome: runner.StepOutcome) -> None:
            label = outcome.partition or "all history"
            mark = "[green]ok[/]" if outcome.success else "[red]FAILED[/]"
            progress.console.print(
                f"{mark} {outcome.job} {label}: {len(outcome.materialized)} assets in {outcome.seconds:.1f} s"
            )
            for check in outcome.failed_checks:
                progress.console.print(f"  [red]blocking check failed[/]: {check}")
            for step in outcome.failed_steps:
                progress.console.print(f"  [red]step failed[/]: {step} (details: dagster UI, run {outcome.run_id})")
                # the reason as it is: a path or an error text may hold brackets rich would eat
                progress.console.print(f"    {outcome.failure_reasons.get(step, '?')}", markup=False, highlight=False)
            progress.advance(task)

        command_process.prepare_for_runs()
        try:
            report = runner.run_days(paths, days, show, wait_seconds=wait_seconds,
                                     days_per_dbt_build=days_per_dbt_build)
        except RunLockHeld as held:
            console.print(f"[red]not started[/]: {held}")
            raise typer.Exit(3) from None
    return report


@app.command()
def run(
    home: HomeOption = None,
    start: Annotated[str | None, typer.Option(help="First arrival day (default: first day in the landing zone).")] = None,
    end: Annotated[str | None, typer.Option(help="Last arrival day (default: last day in the landing zone).")] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for another run on this home to finish.")] = 0.0,
    days_per_dbt_build: DaysPerDbtBuildOption = 1,
) -> None:
    """Materialize every asset for a range of days in this process; non-zero exit on any failure."""
    paths = _home(home)
    landed = runner.landed_days(paths)
    if not landed and not (start and end):
        console.print(f"[red]nothing to run[/]: {paths.landing} is empty. Run `flywheel generate` first.")
        raise typer.Exit(2)
    days = runner.days_in_range(start or landed[0], end or landed[-1])
    report = _run(paths, days, wait, days_per_dbt_build)
    if not report.success:
        console.print("[red]the run failed[/]: see the lines above; `make ui` shows every run's logs.")
        raise typer.Exit(1)


# The demo's week lands all at once: a backlog, which a week per dbt build catches up in about
# half the time of a build a day, to the same warehouse (tests/scaling): the default demo (7 days of
# 2,000 interactions, generating included) took 141 s instead of 268 s on this 2-core machine, with
# the same marts and training-set counts (docs/benchmarks.md, run P).
DEMO_DAYS_PER_DBT_BUILD = 7


@app.command()
def demo(
    home: HomeOption = None,
    days: Annotated[int, typer.Option(min=1)] = 7,
    interactions_per_day: Annotated[int, typer.Option(min=1)] = 2000,
    days_per_dbt_build: DaysPerDbtBuildOption = DEMO_DAYS_PER_DBT_BUILD,
) -> None:
    """Simulate a week, run every asset over it, and print what was built and where."""
    paths = _home(home)
    generate(home=paths.home, days=days, interactions_per_day=interactions_per_day)
    report = _run(paths, runner.landed_days(paths), days_per_dbt_build=days_per_dbt_build)
    from pipelines.summary import print_summary

    print_summary(paths, report, Console())
    if not report.success:
        raise typer.Exit(1)


@app.command()
def dashboards(
    home: HomeOption = None,
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to bind; 127.0.0.1 keeps it on this machine.")] = "127.0.0.1",
) -> None:
    """Open the Streamlit dashboards on the home's published serving snapshot (Ctrl-C stops)."""
    from pipelines.serving.launch import launch

    paths = _home(home)
    console.print(f"dashboards on http://{address}:{port} reading {paths.serving_db}")
    raise typer.Exit(launch(port=port, address=address, home=paths.home))


def main() -> None:
    command_process.claim()
    try:
        app()
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    finally:
        command_process.before_exit()


if __name__ == "__main__":
    main()
