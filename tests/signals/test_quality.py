"""The Great Expectations gates: they pass on the simulated marts, fail on broken ones, and a failed
blocking gate stops what is downstream of the mart (the training-set export)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from pipelines import settings
from pipelines.resources import FlywheelHome
from pipelines.signals import quality
from tests.signals.conftest import SignalsHome

GATES = {gate.name: gate for gate in quality.GATES}


@pytest.mark.xdist_group("signals")
def test_every_gate_passes_on_the_simulated_marts(signals_home: SignalsHome) -> None:
    until = pd.Timestamp(signals_home.days[-1]).date()
    with duckdb.connect(str(signals_home.paths.warehouse), read_only=True) as con:
        outcomes = [quality.run_gate(con, gate, until) for gate in quality.GATES]
    failed = {o.gate.name: [r for r in o.results if not r["success"]] for o in outcomes if not o.success}
    assert not failed, failed
    assert all(o.rows > 0 for o in outcomes), {o.gate.name: o.rows for o in outcomes}


def test_acceptance_gate_fails_on_an_implausible_rate_and_passes_on_a_plausible_one() -> None:
    gate = GATES["ge_acceptance_rate_plausible"]
    broken = pd.DataFrame({"request_model": ["gpt-5", "claude"], "generations": [900, 800],
                           "acceptance_rate": [0.01, 0.62]})
    outcome = quality.validate_frame(broken, gate)
    assert not outcome.success
    assert outcome.results[0]["observed"]["partial_unexpected_list"] == [0.01]
    assert quality.validate_frame(broken.assign(acceptance_rate=[0.55, 0.62]), gate).success


def test_gates_on_the_marts_the_training_set_reads_are_blocking() -> None:
    blocking = {(g.asset, g.name) for g in quality.GATES if g.blocking}
    assert {asset for asset, _ in blocking} == {"fct_generations", "dim_users"}
    specs = {(spec.asset_key.to_user_string(), spec.name): spec for spec in quality.signals_quality_gates.check_specs}
    assert all(specs[key].blocking for key in blocking)


def _warehouse_with_broken_generations(path: Path) -> None:
    """A warehouse whose generations were never accepted (as if accept events stopped arriving)."""
    with duckdb.connect(str(path)) as con:
        con.execute("""
            create table fct_generations as
            select 'g' || i as generation_id, 'gpt-5' as request_model, false as is_accepted,
                'unknown' as outcome_label, 0.5 as success_score, 1000 as input_tokens,
                100 as output_tokens, 0 as cache_read_input_tokens, 0 as cache_creation_input_tokens,
                0 as reasoning_output_tokens, date '2026-11-02' as ingest_date
            from range(300) as t(i)
        """)


def test_a_failed_blocking_gate_stops_the_downstream_asset(tmp_path: Path) -> None:
    paths = settings.paths(tmp_path / "home")
    settings.ensure_layout(paths)
    _warehouse_with_broken_generations(paths.warehouse)
    ran = []

    @dg.asset(deps=["fct_generations"])
    def training_set_stand_in() -> None:
        ran.append(True)

    defs = dg.Definitions(
        assets=[dg.AssetSpec("fct_generations"), dg.AssetSpec("dim_users"), dg.AssetSpec("fct_model_quality_daily"),
                dg.AssetSpec("fct_events_daily"), dg.AssetSpec("fct_sessions"), training_set_stand_in],
        asset_checks=quality.QUALITY_CHECKS,
        jobs=[dg.define_asset_job(
            "export", selection=dg.AssetSelection.assets(training_set_stand_in)
            | dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey("fct_generations"), "ge_acceptance_rate_plausible")),
        )],
        resources={"flywheel": FlywheelHome(home=str(paths.home))},
    )
    result = defs.resolve_job_def("export").execute_in_process(raise_on_error=False)
    evaluations = [e.event_specific_data for e in result.all_events
                   if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    assert [(e.check_name, e.passed) for e in evaluations] == [("ge_acceptance_rate_plausible", False)]
    assert not ran, "the export ran although a blocking gate on its input failed"
