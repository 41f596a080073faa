"""``flywheel bench``: the end-to-end benchmark (end_to_end.py) from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipelines import command_process
from pipelines.cli_options import DaysPerDbtBuildOption

console = Console(stderr=True)


def bench(
    interactions: Annotated[
        int, typer.Option(min=1, help="Interactions (turns) in all, spread evenly over the days.")
    ] = 1_000_000,
    days: Annotated[int, typer.Option(min=1, help="Arrival days to simulate and run.")] = 31,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Where the report goes (<home>/bench/) and the run's own home (<home>/bench/run-...). Default: $FLYWHEEL_HOME.",
        ),
    ] = None,
    stage: Annotated[
        list[str] | None,
        typer.Option(
            "--stage",
            help="Only these stages (repeat or comma-separate): generate, ingest, scrub, dbt, dbt_history, dataset, serving. Without generate, the run home must hold the landing files.",
        ),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="A smoke test: 3,000 interactions over 2 days (enough for the training-set gates).",
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Simulator seed.")] = 7,
    days_per_dbt_build: DaysPerDbtBuildOption = 1,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the JSON report instead of Markdown.")
    ] = False,
) -> None:
    """Run N interactions through every stage and report time, peak memory and day N vs day 1."""
    import json

    from pipelines import settings
    from pipelines.bench import end_to_end as e2e

    if quick:
        interactions, days = e2e.QUICK_INTERACTIONS, e2e.QUICK_DAYS
    try:
        stages = e2e.parse_stages(stage)
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    config = e2e.BenchConfig(interactions=interactions, days=days, stages=stages, seed=seed,
                             days_per_dbt_build=days_per_dbt_build)
    root = settings.paths(home).home / "bench"
    run_home = settings.paths(root / f"run-{config.interactions_per_day * days}x{days}")
    console.print(
        f"benchmark: {config.interactions_per_day * days:,} interactions over {days} days "
        f"({config.interactions_per_day:,} a day), stages {', '.join(stages)}, home {run_home.home}"
    )
    command_process.prepare_for_runs()
    try:
        result = e2e.run_bench(
            run_home, config, on_stage=lambda run: console.print(e2e.stage_line(run))
        )
    except (FileNotFoundError, ValueError) as exc:
        console.print(f"[red]not run[/]: {exc}")
        raise typer.Exit(2) from None
    json_path, md_path = e2e.write_report(result, root)
    print(json.dumps(result.to_dict(), indent=2) if json_out else e2e.format_markdown(result))
    console.print(f"report: {md_path} and {json_path}")
    if result.failed:
        raise typer.Exit(1)
