"""The privacy stage on real lake files: scrubbed output, findings counts, withheld texts, the
independent verification (which must catch a leak), retention, and that nothing downstream
reads the raw zone."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from datetime import date

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from pipelines import lake, settings
from pipelines.ingest.load import ingest_day
from pipelines.privacy import stage
from pipelines.privacy.scrubber import Scrubber
from pipelines.privacy.stage import (
    expire_raw_zone,
    findings_root,
    leaked,
    scrub_day,
    scrub_quarantine_root,
    scrubbed_events_root,
    verify_day,
)
from pipelines.simulator import SimulationConfig, generate
from tests.privacy.conftest import KEY

DAY = "2026-11-02"


@pytest.fixture(scope="module")
def scrubbed_home(tmp_path_factory: pytest.TempPathFactory, scrubber: Scrubber) -> settings.FlywheelPaths:
    """One simulated day with extra PII injected, ingested and scrubbed."""
    home = settings.paths(tmp_path_factory.mktemp("privacy-stage"))
    settings.ensure_layout(home)
    generate(home, SimulationConfig(start=date.fromisoformat(DAY), days=1, interactions_per_day=250, pii_rate=0.3, secret_rate=0.1))
    ingest_day(home, "events", DAY)
    scrub_day(home, DAY, scrubber)
    return home


def _injected(home: settings.FlywheelPaths) -> list[dict]:
    with gzip.open(home.ground_truth / "injected.jsonl.gz", "rt") as lines:
        return [json.loads(line) for line in lines]


def _texts(home: settings.FlywheelPaths, root) -> list[str]:
    table = pq.read_table(lake.partition_path(root, DAY))
    return [t for c in ("prompt_text", "assistant_text", "code_patch", "feedback_comment", "build_error_message")
            for t in table.column(c).to_pylist() if t]


def test_no_injected_value_survives_scrubbing(scrubbed_home: settings.FlywheelPaths) -> None:
    injected = _injected(scrubbed_home)
    assert len(injected) > 100
    raw = "\n".join(_texts(scrubbed_home, scrubbed_home.raw_table("events")))
    scrubbed = "\n".join(_texts(scrubbed_home, scrubbed_events_root(scrubbed_home)))
    present_before = [row for row in injected if leaked(row["value"], raw)]
    assert len(present_before) > 0.9 * len(injected)  # the raw zone really held them
    assert [row["entity_type"] for row in injected if leaked(row["value"], scrubbed)] == []
    assert re.search(r"<(EMAIL_ADDRESS|PERSON|PHONE_NUMBER|SECRET_\w+)_[0-9a-f]{6}>", scrubbed)


def test_findings_are_counted_per_field_and_type_without_values(scrubbed_home: settings.FlywheelPaths) -> None:
    rows = pq.read_table(lake.partition_path(findings_root(scrubbed_home), DAY)).to_pylist()
    assert rows and set(rows[0]) == {"field", "entity_type", "findings"}
    by_type = {}
    for row in rows:
        by_type[row["entity_type"]] = by_type.get(row["entity_type"], 0) + row["findings"]
    assert by_type.get("EMAIL_ADDRESS", 0) > 0 and by_type.get("PERSON", 0) > 0


def test_rescrubbing_a_day_gives_the_same_bytes(scrubbed_home: settings.FlywheelPaths, scrubber: Scrubber) -> None:
    path = lake.partition_path(scrubbed_events_root(scrubbed_home), DAY)
    before = path.read_bytes()
    scrub_day(scrubbed_home, DAY, scrubber)
    assert path.read_bytes() == before


def test_a_day_scrubbed_a_batch_ahead_in_workers_is_the_day_scrubbed_here(
    scrubbed_home: settings.FlywheelPaths, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many small batches, each sent to two workers before the one before it is written: the
    same rows, findings and withheld texts as the fixture's one batch scrubbed in this process."""
    copy = settings.paths(tmp_path / "copy")
    shutil.copytree(scrubbed_home.home, copy.home)
    monkeypatch.setattr(stage, "SCRUB_BATCH_ROWS", 97)
    with Scrubber(KEY, workers=2, batch_size=16) as ahead:
        stats = scrub_day(copy, DAY, ahead)
    assert stats.rows > 5 * 97
    for root in (scrubbed_events_root, findings_root, scrub_quarantine_root):
        assert pq.read_table(lake.partition_path(root(copy), DAY)) == pq.read_table(
            lake.partition_path(root(scrubbed_home), DAY)
        )


def test_verification_passes_on_scrubbed_output(scrubbed_home: settings.FlywheelPaths, scrubber: Scrubber) -> None:
    report = verify_day(scrubbed_home, DAY, scrubber, ner_sample_size=60)
    assert report.passed, report
    assert report.ground_truth_present and report.injected_checked > 100
    assert report.texts_ner_scanned == 60


def test_verification_catches_a_leak(tmp_path, scrubbed_home: settings.FlywheelPaths, scrubber: Scrubber) -> None:
    """Copy the scrubbed day, put one injected value back into its event, and verify again."""
    home = settings.paths(tmp_path / "leaky")
    settings.ensure_layout(home)
    (home.ground_truth).mkdir(parents=True)
    (home.ground_truth / "injected.jsonl.gz").write_bytes((scrubbed_home.ground_truth / "injected.jsonl.gz").read_bytes())
    row = next(r for r in _injected(home) if r["field"] == "prompt.text" and r["entity_type"] == "EMAIL_ADDRESS")
    source = lake.partition_path(scrubbed_events_root(scrubbed_home), DAY)
    target = lake.partition_path(scrubbed_events_root(home), DAY)
    target.parent.mkdir(parents=True)
    duckdb.sql(
        f"COPY (SELECT * REPLACE (CASE WHEN event_id = '{row['event_id']}' THEN prompt_text || ' mail {row['value']}' "
        f"ELSE prompt_text END AS prompt_text) FROM read_parquet('{source}')) TO '{target}' (FORMAT parquet)"
    )
    report = verify_day(home, DAY, scrubber, ner_sample_size=10)
    assert not report.passed
    assert report.injected_leaked == {"prompt.text:EMAIL_ADDRESS": 1}
    assert report.pattern_hits  # the independent pattern re-scan sees it too


def test_rescan_reads_every_text_but_code_the_scrub_left_unchanged(scrubbed_home: settings.FlywheelPaths, scrubber: Scrubber) -> None:
    table = pq.read_table(lake.partition_path(scrubbed_events_root(scrubbed_home), DAY))
    raw = pq.read_table(lake.partition_path(scrubbed_home.raw_table("events"), DAY))
    raw_by_id = {r["event_id"]: r for r in raw.to_pylist()}
    nonempty = unchanged_code = 0
    for row in table.to_pylist():
        for column in ("prompt_text", "assistant_text", "code_patch", "feedback_comment", "build_error_message"):
            if row[column]:
                nonempty += 1
                policy = "code" if column in ("code_patch", "build_error_message") else "natural_language"
                unchanged_code += policy == "code" and raw_by_id[row["event_id"]][column] == row[column]
    assert 0 < unchanged_code < nonempty

    sampled = verify_day(scrubbed_home, DAY, scrubber, ner_sample_size=0, unchanged_sample_size=10)
    assert sampled.passed, sampled
    assert sampled.texts_unchanged_not_rescanned == unchanged_code - 10
    assert sampled.texts_pattern_scanned == nonempty - unchanged_code + 10
    every = verify_day(scrubbed_home, DAY, scrubber, ner_sample_size=0, unchanged_sample_size=10**9)
    assert (every.texts_pattern_scanned, every.texts_unchanged_not_rescanned) == (nonempty, 0)


def test_rescan_reads_a_code_text_that_differs_from_the_raw_zone(tmp_path, scrubbed_home: settings.FlywheelPaths, scrubber: Scrubber) -> None:
    """A secret put into a scrubbed patch the scrub had left unchanged: the patch no longer equals
    the raw zone's, so the pattern re-scan reads it (with no NER and no injected-value help)."""
    home = settings.paths(tmp_path / "leaky-code")
    settings.ensure_layout(home)
    raw = lake.partition_path(home.raw_table("events"), DAY)
    raw.parent.mkdir(parents=True)
    raw.write_bytes(lake.partition_path(scrubbed_home.raw_table("events"), DAY).read_bytes())
    source = lake.partition_path(scrubbed_events_root(scrubbed_home), DAY)
    event_id = duckdb.sql(
        f"SELECT s.event_id FROM read_parquet('{source}') s JOIN read_parquet('{raw}') r USING (event_id) "
        "WHERE s.code_patch <> '' AND s.code_patch = r.code_patch ORDER BY s.event_id LIMIT 1"
    ).fetchall()[0][0]
    target = lake.partition_path(scrubbed_events_root(home), DAY)
    target.parent.mkdir(parents=True)
    duckdb.sql(
        f"COPY (SELECT * REPLACE (CASE WHEN event_id = '{event_id}' "
        "THEN code_patch || '\nconst contact = \"dana.whitfield@example.org\";' "
        f"ELSE code_patch END AS code_patch) FROM read_parquet('{source}')) TO '{target}' (FORMAT parquet)"
    )
    report = verify_day(home, DAY, scrubber, ner_sample_size=0, unchanged_sample_size=0)
    assert report.texts_unchanged_not_rescanned > 0
    assert report.pattern_hits == {"code_patch:EMAIL_ADDRESS": 1}
    assert not report.passed


def test_binary_text_is_withheld_with_a_reason(home: settings.FlywheelPaths, scrubber: Scrubber) -> None:
    from tests.ingest.test_ingest import EVENTS, fresh, line, write_landing

    garbage = "".join(chr(c) for c in range(1, 32)) * 20
    write_landing(home, DAY, "a.jsonl", [line(fresh(EVENTS[0], **{"prompt.text": garbage})), line(fresh(EVENTS[1]))])
    ingest_day(home, "events", DAY)
    scrub_day(home, DAY, scrubber)
    withheld = pq.read_table(lake.partition_path(scrub_quarantine_root(home), DAY)).to_pylist()
    assert [(w["field"], bool(w["reason"])) for w in withheld] == [("prompt_text", True)]
    prompts = pq.read_table(lake.partition_path(scrubbed_events_root(home), DAY)).column("prompt_text").to_pylist()
    assert None in prompts and garbage not in prompts


def test_retention_removes_only_old_raw_days(home: settings.FlywheelPaths) -> None:
    for day in ("2026-10-01", "2026-10-20", "2026-11-01"):
        ingest_day(home, "events", day)
    removed = expire_raw_zone(home, 30, date(2026, 11, 5))
    assert removed == ["2026-10-01"]
    assert lake.partition_days(home.raw_table("events")) == ["2026-10-20", "2026-11-01"]
    with pytest.raises(ValueError):
        expire_raw_zone(home, 0, date(2026, 11, 5))


def _external_locations(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["external_location"]] if "external_location" in node else []
        return found + [loc for value in node.values() for loc in _external_locations(value)]
    if isinstance(node, list):
        return [loc for item in node for loc in _external_locations(item)]
    return []


def test_dbt_sources_read_only_the_scrubbed_lake() -> None:
    locations = [
        loc
        for path in settings.DBT_PROJECT_DIR.rglob("*.yml")
        if "target" not in path.parts
        for loc in _external_locations(yaml.safe_load(path.read_text()))
    ]
    assert len(locations) >= 5
    # {lake_root}: $FLYWHEEL_LAKE_URI or $FLYWHEEL_HOME/lake (the sources' meta.lake_root)
    assert all(("/lake/" in loc or "'{lake_root}/" in loc) and "/raw/" not in loc for loc in locations), locations


def test_nothing_downstream_of_scrubbing_mentions_the_raw_zone() -> None:
    """Structural: dbt, the signals, datasets, serving and dashboards never name the raw zone."""
    offenders = []
    for folder in ("dbt/models", "dbt/macros", "pipelines/signals", "pipelines/datasets", "pipelines/serving", "dashboards"):
        for path in (settings.PROJECT_ROOT / folder).rglob("*"):
            if path.suffix in {".py", ".sql", ".yml"} and re.search(r"raw_table\(|[/'\"]raw[/'\"]|\.raw\b", path.read_text()):
                offenders.append(str(path.relative_to(settings.PROJECT_ROOT)))
    assert offenders == []


def test_key_dependence_of_placeholders(scrubber: Scrubber) -> None:
    other = Scrubber(KEY + b"-other")
    text = "write to jane.doe@example.com"
    assert scrubber.scrub([text], "natural_language")[0].text != other.scrub([text], "natural_language")[0].text
