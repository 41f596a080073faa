"""The Dagster asset: registered where it belongs, gates reported as blocking checks, all or nothing."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.datasets import synthetic
from pipelines.datasets.assets import ASSET_NAME, UPSTREAM, training_dataset
from pipelines.datasets.gates import GATES
from pipelines.definitions import HISTORY_ASSETS, REFRESH_JOB, defs
from pipelines.resources import FlywheelHome
from tests.datasets.conftest import make_home

pytestmark = pytest.mark.xdist_group("datasets")


def test_the_asset_is_a_history_asset_downstream_of_the_marts_with_blocking_gates() -> None:
    graph = defs.resolve_asset_graph()
    key = dg.AssetKey(ASSET_NAME)
    node = graph.get(key)
    assert node.group_name == "datasets" and node.partitions_def is None
    assert set(UPSTREAM) <= set(node.parent_keys)
    assert training_dataset in HISTORY_ASSETS
    assert key in defs.resolve_job_def(REFRESH_JOB).asset_layer.executable_asset_keys
    checks = {k.name: graph.get_check_spec(k) for k in graph.asset_check_keys if k.asset_key == key}
    assert set(checks) == set(GATES)
    assert all(spec.blocking for spec in checks.values())


def _materialize(home: Path, instance: dg.DagsterInstance, **config: object) -> dg.ExecuteInJobResult:
    return dg.materialize(
        [training_dataset],
        instance=instance,
        resources={"flywheel": FlywheelHome(home=str(home))},
        run_config={"ops": {ASSET_NAME: {"config": {"rescan_mode": "patterns", "min_sft_examples": 10,
                                                    "min_preference_examples": 10, "min_unpaired_examples": 10,
                                                    **config}}}},
        raise_on_error=False,
    )


def _evaluations(result: dg.ExecuteInJobResult) -> dict[str, bool]:
    return {e.event_specific_data.check_name: e.event_specific_data.passed
            for e in result.all_events if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION}


def test_materializing_publishes_a_version_and_records_every_gate(tmp_path: Path) -> None:
    paths = make_home(tmp_path / "home")
    synthetic.synthesize(paths, 600, days=2)
    with dg.DagsterInstance.ephemeral() as instance:
        ok = _materialize(paths.home, instance)
        assert ok.success
        assert _evaluations(ok) == dict.fromkeys(GATES, True)
        (materialization,) = ok.asset_materializations_for_node(ASSET_NAME)
        version = materialization.metadata["version"].value
        assert (paths.datasets / "app-builder-assistant" / version / "manifest.json").exists()

        failed = _materialize(paths.home, instance, name="too-small", min_sft_examples=10**9)
        assert not failed.success
        evaluations = _evaluations(failed)
        assert evaluations["min_examples"] is False
        assert set(evaluations) == set(GATES)  # the other gates are recorded too
        assert not failed.asset_materializations_for_node(ASSET_NAME)
    assert not (paths.datasets / "too-small").exists() or not any(
        p.name.startswith("v") for p in (paths.datasets / "too-small").iterdir())


def test_cli_build_outside_a_run_checks_the_upstream_quality_checks_of_the_home(tmp_path: Path) -> None:
    """`flywheel datasets build` looks at the home's Dagster instance: the marts' blocking checks
    never ran there, so the gate fails and nothing is published."""
    import orjson
    from typer.testing import CliRunner

    from pipelines.datasets.cli import app

    paths = make_home(tmp_path / "home")
    synthetic.synthesize(paths, 600, days=2)
    done = CliRunner().invoke(app, ["build", "--home", str(paths.home), "--rescan", "patterns", "--json"])
    assert done.exit_code == 1, done.output
    report = orjson.loads(done.stdout)
    gates = {g["name"]: g for g in report["gates"]}
    assert report["status"] == "failed" and not gates["upstream_checks_passed"]["passed"]
    assert "never run" in gates["upstream_checks_passed"]["metadata"]["blocking_checks"].values()
    assert all(g["passed"] for name, g in gates.items() if name not in ("upstream_checks_passed", "min_examples"))
    assert not list(paths.datasets.glob("*/v*/manifest.json"))
