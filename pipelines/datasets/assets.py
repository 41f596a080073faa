"""The training-set asset: one immutable, gated version of the SFT and preference sets per run.

Downstream of the signals marts (``fct_generations``, ``dim_users``), so their blocking quality
checks stop a run before this asset starts; the ``upstream_checks_passed`` gate also looks at
their latest results when the asset is materialised on its own. Every gate is a blocking asset
check. The gates run inside the build, BEFORE the version is moved into place: a failed gate
records its check results, publishes nothing, and fails the asset.
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from pipelines.datasets import gates, publish
from pipelines.datasets.config import KINDS, SPLITS, BuildOptions, DatasetConfig
from pipelines.datasets.sources import UPSTREAM_ASSET_KEYS
from pipelines.resources import WAREHOUSE_POOL, FlywheelHome
from pipelines.settings import FlywheelPaths

ASSET_NAME = "training_dataset"
UPSTREAM = [dg.AssetKey(name) for name in UPSTREAM_ASSET_KEYS]
_DEFAULTS = DatasetConfig()


class TrainingSetConfig(dg.Config):
    """Run configuration: the filters most often tuned (the rest keep DatasetConfig's defaults)."""

    name: str = _DEFAULTS.name
    success_threshold: float = _DEFAULTS.success_threshold
    failure_threshold: float = _DEFAULTS.failure_threshold
    min_tokens: int = _DEFAULTS.min_tokens
    max_tokens: int = _DEFAULTS.max_tokens
    languages: list[str] = list(_DEFAULTS.languages)
    context_turns: int = _DEFAULTS.context_turns
    near_duplicate_threshold: float = _DEFAULTS.near_duplicate_threshold
    min_sft_examples: int = _DEFAULTS.min_examples["sft"]
    min_preference_examples: int = _DEFAULTS.min_examples["preference"]
    min_unpaired_examples: int = _DEFAULTS.min_examples["unpaired"]
    rescan_mode: str = "full"
    memory_limit: str = BuildOptions().memory_limit

    def dataset_config(self) -> DatasetConfig:
        return _DEFAULTS.replace(
            name=self.name, success_threshold=self.success_threshold, failure_threshold=self.failure_threshold,
            min_tokens=self.min_tokens, max_tokens=self.max_tokens, languages=tuple(self.languages),
            context_turns=self.context_turns, near_duplicate_threshold=self.near_duplicate_threshold,
            min_examples={"sft": self.min_sft_examples, "preference": self.min_preference_examples,
                          "unpaired": self.min_unpaired_examples},
        )

    def build_options(self) -> BuildOptions:
        return BuildOptions(memory_limit=self.memory_limit, rescan_mode=self.rescan_mode)


def _metadata_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return dg.MetadataValue.json(value)
    return value


def check_results(result: publish.BuildResult) -> list[dg.AssetCheckResult]:
    return [
        dg.AssetCheckResult(
            check_name=gate.name,
            asset_key=ASSET_NAME,
            passed=gate.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=gate.description,
            metadata={k: _metadata_value(v) for k, v in gate.metadata.items() if v is not None},
        )
        for gate in result.gates
    ]


def materialization_metadata(result: publish.BuildResult) -> dict[str, dg.MetadataValue]:
    assert result.manifest is not None and result.path is not None
    counts = result.manifest["counts"]
    table = "\n".join(
        ["| kind | " + " | ".join(SPLITS) + " | excluded |", "|---|---|---|---|---|"]
        + [f"| {k} | " + " | ".join(f"{counts['kept'][k][s]:,}" for s in SPLITS)
           + f" | {sum(counts['excluded'][k].values()):,} |" for k in KINDS]
    )
    return {
        "version": dg.MetadataValue.text(result.version or ""),
        "status": dg.MetadataValue.text(result.status),
        "path": dg.MetadataValue.path(str(result.path)),
        "dataset_card": dg.MetadataValue.path(str(result.path / "README.md")),
        "parent": dg.MetadataValue.text(result.manifest.get("parent") or "none"),
        "examples": dg.MetadataValue.int(publish.total_rows(result.manifest)),
        "examples_by_kind_and_split": dg.MetadataValue.md(table),
        "excluded_by_reason": dg.MetadataValue.json(counts["excluded"]),
        "data_through": dg.MetadataValue.text(str(result.manifest["sources"]["data_through"])),
        "seconds": dg.MetadataValue.float(round(result.seconds, 3)),
        "seconds_by_stage": dg.MetadataValue.json(result.stages),
    }


def dagster_upstream_gate(instance: dg.DagsterInstance, asset_graph: Any) -> gates.UpstreamGate:
    return lambda: gates.upstream_gate(instance, asset_graph, UPSTREAM)


def _asset_graph(context: dg.AssetExecutionContext) -> Any:
    """The code location's asset graph (every check on the upstream marts), else the job's."""
    try:
        return context.repository_def.asset_graph
    except Exception:  # noqa: BLE001 - dg.materialize() runs without a repository
        return context.job_def.asset_layer.asset_graph


def upstream_gate_for_home(paths: FlywheelPaths) -> gates.UpstreamGate:
    """For builds outside a run (``flywheel datasets build``): the home's Dagster instance."""

    def gate() -> gates.GateResult:
        from pipelines.definitions import defs

        try:
            instance = dg.DagsterInstance.from_config(str(paths.dagster_home))
        except Exception as error:  # noqa: BLE001 - reported as a failed gate, with the reason
            return gates.GateResult("upstream_checks_passed", False, {
                "error": f"cannot open the Dagster instance at {paths.dagster_home}: {error}"})
        with instance:
            return gates.upstream_gate(instance, defs.resolve_asset_graph(), UPSTREAM)

    return gate


@dg.asset(
    name=ASSET_NAME,
    group_name="datasets",
    pool=WAREHOUSE_POOL,  # reads warehouse.duckdb (pipelines/resources.py)
    kinds={"duckdb", "parquet"},
    deps=UPSTREAM,
    check_specs=[
        dg.AssetCheckSpec(name, asset=ASSET_NAME, blocking=True, description=description)
        for name, description in gates.GATES.items()
    ],
)
def training_dataset(
    context: dg.AssetExecutionContext, flywheel: FlywheelHome, config: TrainingSetConfig
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Versioned SFT, preference (DPO) and unpaired (KTO) training sets under ``exports/datasets``.

    Each version is content-addressed (same inputs, same id, same bytes), published atomically
    with its manifest, Hugging Face dataset card and TRL job spec, and only when every gate passed.
    Unchanged inputs re-materialise to the same version without writing anything.
    """
    result = publish.build_version(
        flywheel.paths(),
        config.dataset_config(),
        config.build_options(),
        upstream=dagster_upstream_gate(context.instance, _asset_graph(context)),
        on_stage=lambda stage: context.log.info(f"training set: {stage}"),
    )
    results = check_results(result)
    if not result.ok:
        yield from results
        raise dg.Failure(
            description=f"training set not published: {result.error}",
            metadata={"version_not_published": result.version or "", "gates": dg.MetadataValue.json(
                {g.name: g.passed for g in result.gates})},
        )
    context.log.info(f"training set {result.name} {result.version}: {result.status} at {result.path}")
    yield dg.MaterializeResult(metadata=materialization_metadata(result), check_results=results)
