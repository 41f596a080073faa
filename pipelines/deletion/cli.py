"""``flywheel forget``: the command line of a deletion request (mounted in pipelines/cli.py)."""

from __future__ import annotations

import sys
from typing import Annotated

import orjson
import typer
from rich.console import Console

from pipelines.cli_options import HomeOption, open_home

err = Console(stderr=True)
out = Console()


def forget(
    user: Annotated[str | None, typer.Option("--user", help="Id of the user to forget.")] = None,
    workspace: Annotated[str | None, typer.Option("--workspace", help="Id of the workspace to forget.")] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit and in withdrawn versions): never a name or an id.")] = "",
    home: HomeOption = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for a pipeline run on this home to finish.")] = 0.0,
    no_rebuild: Annotated[bool, typer.Option("--no-rebuild", help="Withdraw training-set versions without building replacements.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report (the audit rows) as one JSON document.")] = False,
) -> None:
    """Delete a user's or a workspace's data everywhere in the home (right to be forgotten).

    Landing files, raw zone, lake, scrub caches, warehouse (compacted), serving snapshot, Dagster
    storage, ground truth; training-set versions that held them are withdrawn and rebuilt without
    them. Billing rows of a workspace are kept under a keyed pseudonym (accounting retention).
    Exit codes: 0 done, 2 bad request, 3 another run holds the home, 4 the home cannot be written.
    """
    from pipelines.deletion.forget import ForgetRefused
    from pipelines.deletion.forget import forget as run_forget
    from pipelines.deletion.subject import InvalidSubject, Subject
    from pipelines.lake import StateNotWritable
    from pipelines.locks import RunLockHeld

    if (user is None) == (workspace is None):
        err.print("[red]say whom to forget[/]: pass exactly one of --user ID or --workspace ID")
        raise typer.Exit(2)
    try:
        subject = Subject("user", user) if user is not None else Subject("workspace", workspace or "")
        paths = open_home(home, err)
        report = run_forget(paths, subject, reason, wait_seconds=wait, rebuild_datasets=not no_rebuild,
                            on_step=None if as_json else lambda s: err.print(f"[dim]{s}[/]"))
    except (InvalidSubject, ForgetRefused) as refused:
        err.print(f"[red]not started[/]: {refused}")
        raise typer.Exit(2) from None
    except RunLockHeld as held:
        err.print(f"[red]not started[/]: {held}")
        raise typer.Exit(3) from None
    except StateNotWritable as full:
        err.print(f"[red]stopped[/]: {full} The tombstone is recorded: re-run forget when fixed.")
        raise typer.Exit(4) from None
    summary = report.to_json()
    if as_json:
        sys.stdout.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out.print(f"[green]{summary['status']}[/]: request {summary['request_id']}, "
                  f"{summary['rows_removed']:,} rows removed in {summary['seconds']} s")
        for entry in summary["stores"]:
            out.print(f"  {entry['action']:>13}  {entry['rows']:>8,}  {entry['store']}")
        for version in summary["withdrawn_versions"]:
            out.print(f"  withdrawn {version['dataset']} {version['version']}")
        for replacement in summary["replacement_versions"]:
            out.print(f"  replacement {replacement['dataset']}: {replacement['status']} {replacement['version'] or ''}")
    for warning in summary["warnings"]:
        err.print(f"[yellow]warning[/]: {warning}")
