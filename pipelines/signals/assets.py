"""The dbt project as Dagster assets: daily-partitioned signals, then the history-wide models.

Every dbt model is an asset; its dbt tests are its asset checks (blocking when the test's severity
is error). The lake sources map onto the assets that write them, so every model sits downstream
of scrubbing (``scrubbed_events``) or of ingest. The daily assets give dbt their partition's arrival
days in the environment (``project.window_in_environment``); see ``dbt/models/docs.md`` for what
a run recomputes.
"""

import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from pipelines import scratch as scratch_space
from pipelines.failpoints import failpoint_when
from pipelines.partitions import daily_partitions
from pipelines.resources import WAREHOUSE_POOL, FlywheelHome
from pipelines.settings import export_environment
from pipelines.signals import quality
from pipelines.signals.project import (
    DAILY_FOLDERS,
    DAILY_SELECTION,
    build_args,
    dbt_project,
    keep_partial_parse,
    parse_state_file,
    prepare_manifest,
    restore_partial_parse,
    run_window,
    window_in_environment,
)

# dbt source (source name, table) -> the Dagster asset that writes it.
SOURCE_ASSETS: Mapping[tuple[str, str], dg.AssetKey] = {
    ("lake", "events"): dg.AssetKey("scrubbed_events"),
    ("lake", "pii_findings"): dg.AssetKey("scrubbed_events"),
    ("lake", "billing"): dg.AssetKey("billing_events"),
    # ingest writes its per-file counts and quarantine reasons for both sources in the same runs
    ("lake", "ingest_files"): dg.AssetKey("raw_events"),
    ("lake", "quarantine"): dg.AssetKey("raw_events"),
}


def group_for(fqn: Sequence[str], resource_type: str) -> str:
    """The Dagster group of a dbt node, from its folder: staging, intermediate, marts_signals, ..."""
    folders = list(fqn[1:-1])
    if resource_type == "seed":
        return "reference_data"
    if not folders:
        return "dbt"
    if folders[0] == "marts" and len(folders) > 1:
        return f"marts_{folders[1]}"
    return folders[0]


class FlywheelDbtTranslator(DagsterDbtTranslator):
    """Groups from folders; lake sources are the assets that write them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            written_by = SOURCE_ASSETS.get((dbt_resource_props["source_name"], dbt_resource_props["name"]))
            if written_by is not None:
                return written_by
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return group_for(dbt_resource_props["fqn"], dbt_resource_props["resource_type"])


EARLY_IMPORT_MESSAGE = "importing Great Expectations for the quality gates on a thread while dbt runs"

translator = FlywheelDbtTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
)
manifest_path = prepare_manifest(dbt_project)


def _stream(context: dg.AssetExecutionContext, dbt: DbtCliResource, flywheel: FlywheelHome,
            window: Mapping[str, str] | None) -> Iterator[Any]:
    """Run dbt for this home over ``window`` (None: all days); its artifacts go under the home's
    scratch space, not the checkout, and its parse state is kept in the home for the next run."""
    paths = flywheel.paths()
    # dbt's profile and sources read $FLYWHEEL_HOME and $FLYWHEEL_LAKE_URI: the resource decides them
    export_environment(paths)
    target = paths.tmp / scratch_space.owned_name(f"dbt-{context.op_execution_context.op.name}")
    parse_state = parse_state_file(paths.state)
    restore_partial_parse(parse_state, target)
    with window_in_environment(window):
        invocation = dbt.cli(build_args(), context=context, target_path=target)
    failpoint_when("dbt.mid_build", lambda: any(target.glob("run/*/models/marts/*/fct_generation*.sql")))
    yield from invocation.stream()
    if invocation.is_successful():
        keep_partial_parse(target, parse_state)
        shutil.rmtree(target, ignore_errors=True)


@dbt_assets(
    manifest=manifest_path,
    project=dbt_project,
    select=DAILY_SELECTION,
    partitions_def=daily_partitions,
    dagster_dbt_translator=translator,
    name="signals_dbt_daily",
    pool=WAREHOUSE_POOL,
)
def signals_dbt_daily(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, flywheel: FlywheelHome
) -> Iterator[Any]:
    """Staging, attribution, signals, scores and the signal and health marts for the partition's days."""
    window = run_window(context.partition_time_window.start, context.partition_time_window.end)
    context.log.info(f"dbt window (arrival days): {window}")
    # the quality gates run next, on what dbt builds: while dbt (a child process) works, this
    # process has a core to spare for their import (pipelines/command_process.py)
    if quality.start_importing_great_expectations() is not None:
        context.log.info(EARLY_IMPORT_MESSAGE)
    yield from _stream(context, dbt, flywheel, window)


def _history_selection_is_empty() -> bool:
    """True when every model lives in the daily folders (then there is no history asset)."""
    daily_paths = tuple(f"models/{folder}/" for folder in DAILY_FOLDERS)
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return not any(
        node["resource_type"] in ("model", "seed", "snapshot")
        and not node["original_file_path"].startswith(daily_paths)
        for node in nodes
    )


def _history_assets() -> list[dg.AssetsDefinition]:
    if _history_selection_is_empty():
        return []

    @dbt_assets(
        manifest=manifest_path,
        project=dbt_project,
        exclude=DAILY_SELECTION,
        dagster_dbt_translator=translator,
        name="signals_dbt_history",
        pool=WAREHOUSE_POOL,
    )
    def signals_dbt_history(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, flywheel: FlywheelHome
    ) -> Iterator[Any]:
        """The history-wide dbt models (business marts over all days) and the reference seeds."""
        yield from _stream(context, dbt, flywheel, None)

    return [signals_dbt_history]


HISTORY_DBT_ASSETS = _history_assets()
