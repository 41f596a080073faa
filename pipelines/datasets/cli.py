"""``flywheel datasets``: list, show, compare, export and build training-set versions.

Every command takes ``--json`` for scripts (one JSON document on stdout; messages on stderr) and
``--home`` for the state directory. Exit codes: 0 ok, 1 failed (a gate, an export check), 2 not
found or bad arguments.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from pipelines import settings
from pipelines.cli_options import HomeOption, JsonOption
from pipelines.datasets import registry
from pipelines.datasets.config import KINDS, SPLITS, BuildOptions, DatasetConfig

app = typer.Typer(
    help="Training-set versions: list, show, diff, export (and build outside a Dagster run).",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

NameOption = Annotated[str | None, typer.Option("--name", help="Dataset name (needed only when there are several).")]


def _paths(home: Path | None) -> settings.FlywheelPaths:
    return settings.paths(home)


def _print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n")


def _resolve(paths: settings.FlywheelPaths, version: str, name: str | None,
             need_files: bool = False) -> registry.VersionRef:
    """The version ``version`` names; exit 2 with a message when it does not exist, or when the
    command needs its files (diff, export) and a deletion request withdrew them."""
    try:
        ref = registry.resolve(paths, version, name)
    except registry.VersionNotFound as missing:
        err.print(f"[red]not found[/]: {missing}")
        raise typer.Exit(2) from None
    manifest = ref.manifest()
    if need_files and registry.is_withdrawn(manifest):
        err.print(f"[red]withdrawn[/]: {ref.version} was withdrawn on {manifest.get('withdrawn_at')} by a deletion "
                  f"request and its files are gone; use its replacement {manifest.get('replaced_by') or '(none yet)'}")
        raise typer.Exit(2)
    return ref


@app.command("list")
def list_(home: HomeOption = None, name: NameOption = None, as_json: JsonOption = False) -> None:
    """Every published version, oldest first, with its example counts."""
    paths = _paths(home)
    rows = []
    for ref in registry.list_versions(paths, name):
        manifest = ref.manifest()
        if registry.is_withdrawn(manifest):  # a deletion request took it down: its tombstone only
            rows.append({"dataset": ref.name, "version": ref.version, "published_at": ref.published_at,
                         "parent": manifest.get("parent"), "data_through": None, "status": "withdrawn",
                         "withdrawn_at": manifest.get("withdrawn_at"), "replaced_by": manifest.get("replaced_by"),
                         "examples": {k: 0 for k in KINDS}, "path": str(ref.path)})
            continue
        kept = manifest["counts"]["kept"]
        rows.append({
            "dataset": ref.name, "version": ref.version, "published_at": ref.published_at,
            "parent": manifest.get("parent"), "data_through": manifest["sources"]["data_through"],
            "status": "published", "examples": {k: sum(kept[k].values()) for k in KINDS}, "path": str(ref.path),
        })
    if as_json:
        _print_json({"versions": rows})
        return
    if not rows:
        err.print(f"no training-set versions under {paths.datasets}")
        return
    table = Table(title=f"training-set versions in {paths.datasets}")
    for column in ("dataset", "version", "published", "parent", "data through", *KINDS):
        table.add_column(column)
    for row in rows:
        if row["status"] == "withdrawn":
            table.add_row(row["dataset"], row["version"], row["published_at"] or "", row["parent"] or "-",
                          f"withdrawn {row['withdrawn_at']}", f"-> {row['replaced_by'] or '?'}", "", "")
            continue
        table.add_row(row["dataset"], row["version"], row["published_at"] or "", row["parent"] or "-",
                      str(row["data_through"]), *[f"{row['examples'][k]:,}" for k in KINDS])
    out.print(table)


@app.command()
def show(
    version: Annotated[str, typer.Argument(help="Version id, a unique prefix of it, or 'latest'.")],
    home: HomeOption = None, name: NameOption = None, as_json: JsonOption = False,
) -> None:
    """A version's manifest in brief: counts, filters, gates, sources, provenance."""
    ref = _resolve(_paths(home), version, name)
    info = registry.summary(ref)
    if as_json:
        _print_json(info)
        return
    if info["status"] == "withdrawn":
        withdrawal = info.get("withdrawal") or {}
        out.print(f"[bold]{info['dataset']}[/] {info['version']}  [red]withdrawn[/] {info['withdrawn_at']}: "
                  f"{withdrawal.get('reason')} ({withdrawal.get('legal_basis')}); "
                  f"replaced by {info['replaced_by'] or '(not yet)'}")
        return
    out.print(f"[bold]{info['dataset']}[/] {info['version']}  ({info['path']})")
    out.print(f"published {info['published_at']}, parent {info['parent'] or '-'}, data through {info['data_through']}")
    table = Table(title="examples")
    for column in ("kind", *SPLITS, "excluded"):
        table.add_column(column)
    for kind in KINDS:
        excluded = ", ".join(f"{r} {n:,}" for r, n in info["excluded"][kind].items()) or "-"
        table.add_row(kind, *[f"{info['examples'][kind][s]:,}" for s in SPLITS], excluded)
    out.print(table)
    out.print("filters: " + ", ".join(f"{k}={v}" for k, v in info["filters"].items() if k in (
        "success_threshold", "failure_threshold", "min_tokens", "max_tokens", "languages", "context_turns")))
    out.print("gates: " + ", ".join(f"{g} {'ok' if ok else 'FAILED'}" for g, ok in info["gates"].items()))
    out.print(f"scrubbing policy {info['scrubbing_policy_version']}, contract {info['contract_version']}, "
              f"code {info['code_version'].get('git_commit') or info['code_version']['package_version']}")


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The older version (id, prefix or 'latest').")],
    new: Annotated[str, typer.Argument(help="The newer version.")],
    home: HomeOption = None, name: NameOption = None, as_json: JsonOption = False,
) -> None:
    """Examples added and removed per kind and split, and why (new data, consent, deletion, filters)."""
    paths = _paths(home)
    report = registry.diff(_resolve(paths, old, name, need_files=True), _resolve(paths, new, name, need_files=True))
    if as_json:
        _print_json(report)
        return
    out.print(f"[bold]{report['dataset']}[/] {report['old']} -> {report['new']}")
    table = Table()
    for column in ("kind", "split", "old", "new", "added", "removed", "why"):
        table.add_column(column)
    for kind in KINDS:
        for split in SPLITS:
            cell = report["by_kind_and_split"][kind][split]
            why = "; ".join([f"+{n} {r}" for r, n in cell["added_because"].items()]
                            + [f"-{n} {r}" for r, n in cell["removed_because"].items()])
            table.add_row(kind, split, f"{cell['old']:,}", f"{cell['new']:,}", f"{cell['added']:,}",
                          f"{cell['removed']:,}", why or "-")
    out.print(table)
    if report["config_changes"]:
        out.print("config changed: " + ", ".join(
            f"{k} {v['old']} -> {v['new']}" for k, v in report["config_changes"].items()))
    parts = report["source_partitions"]
    out.print(f"source partitions: +{len(parts['added'])} new, -{len(parts['removed'])} gone, "
              f"{len(parts['changed'])} changed")


@app.command()
def export(
    version: Annotated[str, typer.Argument(help="Version id, a unique prefix of it, or 'latest'.")],
    fmt: Annotated[str, typer.Option("--format", help="hf-parquet, openai-chat, openai-dpo, trl-sft, "
                                     "trl-preference or trl-unpaired.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write into (created if missing).")],
    split: Annotated[list[str] | None, typer.Option("--split", help="Only these splits (repeatable).")] = None,
    home: HomeOption = None, name: NameOption = None, as_json: JsonOption = False,
) -> None:
    """Write one format of a version into a directory, after checking its checksums."""
    from pipelines.datasets.export import ExportError
    from pipelines.datasets.export import export as run_export

    ref = _resolve(_paths(home), version, name, need_files=True)
    try:
        report = run_export(ref, fmt, out_dir, tuple(split) if split else SPLITS)
    except ExportError as problem:
        err.print(f"[red]export failed[/]: {problem}")
        raise typer.Exit(1 if "modified" in str(problem) else 2) from None
    if as_json:
        _print_json(report.to_json())
        return
    out.print(f"exported {ref.name} {ref.version} as {fmt} into {out_dir}: " + ", ".join(report.files))


@app.command()
def build(
    home: HomeOption = None,
    config_file: Annotated[Path | None, typer.Option("--config", help="JSON file of DatasetConfig fields.")] = None,
    rescan: Annotated[str, typer.Option(help="PII re-scan: 'full' (NER included) or 'patterns'.")] = "full",
    memory_limit: Annotated[str, typer.Option(help="DuckDB memory limit (it spills to disk beyond).")] = "2GB",
    as_json: JsonOption = False,
) -> None:
    """Build, gate and publish a version from the home's lake and marts, as the Dagster asset does."""
    from pipelines import runner
    from pipelines.datasets.assets import upstream_gate_for_home
    from pipelines.datasets.publish import build_version

    paths = _paths(home)
    runner.prepare_environment(paths)
    config = DatasetConfig.from_json(orjson.loads(config_file.read_bytes())) if config_file else DatasetConfig()
    result = build_version(paths, config, BuildOptions(memory_limit=memory_limit, rescan_mode=rescan),
                           upstream=upstream_gate_for_home(paths),
                           on_stage=None if as_json else lambda s: err.print(f"[dim]{s}[/]"))
    summary = {"dataset": result.name, "status": result.status, "version": result.version,
               "path": str(result.path) if result.path else None, "error": result.error,
               "seconds": round(result.seconds, 3), "gates": [g.to_json() for g in result.gates]}
    if as_json:
        _print_json(summary)
    elif result.ok:
        out.print(f"[green]{result.status}[/] {result.name} {result.version} at {result.path} "
                  f"in {result.seconds:.1f} s")
    else:
        err.print(f"[red]not published[/]: {result.error}")
        for gate in result.gates:
            if not gate.passed:
                err.print(f"  {gate.name}: {orjson.dumps(gate.metadata).decode()[:500]}")
    if not result.ok:
        raise typer.Exit(1)
