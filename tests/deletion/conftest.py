"""One simulated home, run end to end once, then a user forgotten in it (shared by the tests)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pytest

from pipelines import runner, settings
from pipelines.datasets import registry
from pipelines.datasets.config import DatasetConfig
from pipelines.deletion.footprint import collect, example_refs
from pipelines.deletion.forget import ForgetReport, forget
from pipelines.deletion.subject import Subject
from pipelines.privacy.pseudonyms import PLACEHOLDER
from tests.deletion.search import search_home

TEST_KEY = "deletion-test-key-0123456789abcdef"
REASON = "erasure request received by support"


@dataclass
class Forgotten:
    paths: settings.FlywheelPaths
    user: str
    needles: set[str]
    found_before: dict[str, list[str]]
    report: ForgetReport
    withdrawn_version: str
    saved_landing: dict[str, bytes] = field(default_factory=dict)  # original files holding the user
    lines_of_user: int = 0


def _publish_small_version(paths: settings.FlywheelPaths) -> str:
    """A version of the two simulated days: gates as in production but minimums for a tiny home."""
    from pipelines.datasets.assets import upstream_gate_for_home
    from pipelines.datasets.publish import build_version

    result = build_version(paths, DatasetConfig(min_examples={"sft": 1, "preference": 1, "unpaired": 1}),
                           upstream=upstream_gate_for_home(paths))
    assert result.ok, result.error
    return str(result.version)


def _injected(paths: settings.FlywheelPaths) -> list[dict[str, str]]:
    with gzip.open(paths.ground_truth / "injected.jsonl.gz", "rt") as lines:
        return [json.loads(line) for line in lines]


def _lake_texts(paths: settings.FlywheelPaths) -> list[tuple[str, str]]:
    """(user_id, text) of every scrubbed text in the lake."""
    glob = str(paths.lake_table("events") / "ingest_date=*" / "*.parquet")
    columns = ("prompt_text", "assistant_text", "code_patch", "feedback_comment", "build_error_message")
    union = " UNION ALL ".join(f"SELECT user_id, {c} FROM read_parquet('{glob}') WHERE {c} IS NOT NULL" for c in columns)
    with duckdb.connect() as con:
        return con.execute(union).fetchall()


def pick_user(paths: settings.FlywheelPaths, version: str, key: bytes) -> str:
    """A user with distinctive injected values whose examples are in the published version."""
    injected = _injected(paths)
    by_user: dict[str, set[str]] = {}
    for row in injected:
        by_user.setdefault(row["user_id"], set()).add(row["value"])
    ref = registry.resolve(paths, version)
    with duckdb.connect() as con:
        in_version = {r for (r,) in con.execute(
            f"SELECT generation_ref FROM read_parquet('{ref.path}/data/*/*.parquet', union_by_name = true) "
            "WHERE generation_ref IS NOT NULL").fetchall()}
    candidates = []
    for user, values in by_user.items():
        footprint = collect(paths, Subject("user", user))
        if example_refs(key, footprint) & in_version and any(len(v) >= 8 for v in values):
            candidates.append((-len(values), user))
    assert candidates, "no user with injected values in the version: raise interactions_per_day"
    return sorted(candidates)[0][1]


def needles_of(paths: settings.FlywheelPaths, user: str, key: bytes) -> set[str]:
    """The user id, their event and session ids, the ids the training set derived from them, their
    injected values and the placeholders those values became (only the ones nobody else has)."""
    footprint = collect(paths, Subject("user", user))
    injected = _injected(paths)
    theirs = {r["value"] for r in injected if r["user_id"] == user and len(r["value"]) >= 6}
    others = {r["value"] for r in injected if r["user_id"] != user}
    texts = _lake_texts(paths)
    own_placeholders = {m for u, t in texts if u == user for m in PLACEHOLDER.findall(t)}
    other_placeholders = {m for u, t in texts if u != user for m in PLACEHOLDER.findall(t)}
    placeholders = {f"<{kind}_{digits}>" for kind, digits in own_placeholders - other_placeholders}
    return ({user} | footprint.event_ids | footprint.sessions | example_refs(key, footprint)
            | (theirs - others) | placeholders)


@pytest.fixture(scope="session")
def forgotten(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forgotten]:
    from pipelines.datasets import gates
    from pipelines.simulator import SimulationConfig
    from pipelines.simulator import generate as simulate

    with pytest.MonkeyPatch.context() as env:
        env.setenv(settings.PSEUDONYM_KEY_ENV, TEST_KEY)
        # two simulated days give fewer than the cookbook's ten DPO pairs a train file should have
        env.setattr(gates, "MIN_OPENAI_EXAMPLES", 1)
        paths = settings.paths(tmp_path_factory.mktemp("forget") / "home")
        settings.ensure_layout(paths)
        simulate(paths, SimulationConfig(seed=5, start=date(2026, 11, 2), days=2, interactions_per_day=150))
        # caught up as a backfill is, one dbt build over the days: the same warehouse as a build a
        # day (tests/scaling/test_parallel_partitions.py), one dbt start-up less
        days = runner.landed_days(paths)
        report = runner.run_days(paths, days, days_per_dbt_build=len(days))
        failures = [(o.job, o.partition, o.failed_steps) for o in report.outcomes
                    if not o.success and set(o.failed_steps) - {"training_dataset"}]
        assert not failures, failures  # the full-size training set may fail its minimums; everything else not
        version = _publish_small_version(paths)
        key = settings.pseudonym_key(paths)
        user = pick_user(paths, version, key)
        needles = needles_of(paths, user, key)
        found_before = search_home(paths.home, needles)

        saved = {}
        for path in sorted(paths.landing.rglob("*.jsonl.gz")):
            data = path.read_bytes()
            if user.encode() in gzip.decompress(data) if not _truncated(data) else False:
                saved[str(path.relative_to(paths.landing))] = data
        lines = sum(gzip.decompress(d).count(f'"user_id":"{user}"'.encode()) for d in saved.values())

        result = forget(paths, Subject("user", user), REASON)
        yield Forgotten(paths, user, needles, found_before, result, version, saved, lines)


def _truncated(data: bytes) -> bool:
    from pipelines.deletion.landing import read_gzip

    return read_gzip(data)[1]


def restore(paths: settings.FlywheelPaths, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        (paths.landing / relative).write_bytes(data)


def mrr_totals(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute("SELECT month, sum(mrr_usd), sum(arr_usd), count(*) FROM fct_mrr GROUP BY 1 ORDER BY 1").fetchall()

