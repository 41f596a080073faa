"""``flywheel pii``: evaluate the scrubber on labelled data and benchmark it (a Typer app to mount).

Mount with ``app.add_typer(pipelines.privacy.cli.app, name="pii")``; importing this module is cheap
(the commands import Presidio and spaCy when they run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Measure the privacy stage: PII/secret evaluation and the speed benchmark.",
    no_args_is_help=True,
)


def _print(report: dict[str, Any], as_json: bool, table: str) -> None:
    typer.echo(json.dumps(report, indent=2, default=str) if as_json else table)


@app.command("eval")
def evaluate(
    dataset: Annotated[
        Path | None, typer.Option(help="presidio-research JSON dataset of labelled PII.")
    ] = None,
    secrets: Annotated[
        Path | None, typer.Option(help="JSON lines of secret cases (detector, text, is_secret).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Precision/recall per entity type on a PII dataset; recall and false alarms on secrets."""
    from pipelines.privacy.evaluate import (
        evaluate_pii,
        evaluate_secrets,
        evaluation_scrubber,
        format_table,
    )

    if dataset is None and secrets is None:
        raise typer.BadParameter("give --dataset PATH, --secrets PATH, or both")
    for path in (dataset, secrets):
        if path is not None and not path.exists():
            raise typer.BadParameter(f"{path} does not exist")
    scrubber = evaluation_scrubber()
    reports = []
    if dataset is not None:
        reports.append(evaluate_pii(dataset, scrubber))
    if secrets is not None:
        reports.append(evaluate_secrets(secrets, scrubber))
    if as_json:
        typer.echo(json.dumps(reports[0] if len(reports) == 1 else reports, indent=2))
    else:
        typer.echo("\n\n".join(format_table(r) for r in reports))


@app.command("bench")
def bench(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="The shared data directory (prompts/, pii/); default ../shared/data."),
    ] = None,
    size: Annotated[int, typer.Option(help="Texts in the corpus.")] = 3000,
    repeat_share: Annotated[
        float, typer.Option(help="Share of the corpus that repeats earlier texts.")
    ] = 0.3,
    workers: Annotated[int, typer.Option(help="Scrubber worker processes.")] = 2,
    baseline: Annotated[bool, typer.Option(help="Also run the naive Presidio baseline.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Throughput, recall and peak memory: Flywheel's Scrubber against naive Presidio."""
    from pipelines.privacy.bench import DEFAULT_DATA, format_report, run_benchmark

    data_dir = data_dir or DEFAULT_DATA
    if not (data_dir / "prompts").is_dir():
        raise typer.BadParameter(f"{data_dir} has no prompts/ directory; pass --data-dir")
    report = run_benchmark(
        data_dir, size=size, repeat_share=repeat_share, workers=workers, baseline=baseline
    )
    _print(report, as_json, format_report(report))
