"""``flywheel forget`` end to end: nothing of the user is left anywhere in the home, a replayed file
does not bring them back, a workspace's revenue keeps its totals, the audit names nobody, a re-run
changes nothing."""

from __future__ import annotations

import json
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pipelines import settings
from pipelines.cli import app
from pipelines.datasets import registry
from pipelines.deletion import audit, tombstones
from pipelines.deletion.forget import forget
from pipelines.deletion.pseudonyms import billing_pseudonym
from pipelines.deletion.subject import Subject
from pipelines.ingest.load import ingest_day
from tests.deletion.conftest import REASON, mrr_totals, restore
from tests.deletion.search import search_home

pytestmark = [pytest.mark.xdist_group("deletion"), pytest.mark.slow]


def test_the_search_finds_the_user_before_forget(forgotten) -> None:
    # the search must be able to see every kind of needle, or its silence afterwards proves nothing
    assert forgotten.user in forgotten.found_before
    injected_found = [n for n in forgotten.found_before if not n.startswith(("usr_", "<")) and " " in n]
    assert injected_found, "no injected value was found before forget"
    where = {w.split(" ")[0].split("/")[0] for hits in forgotten.found_before.values() for w in hits}
    assert {"landing", "raw", "lake", "warehouse.duckdb", "exports", "simulator"} <= where, where
    assert any(n.startswith("<") for n in forgotten.found_before), "no placeholder of theirs was found"


def test_nothing_of_the_user_is_left_anywhere(forgotten) -> None:
    left = search_home(forgotten.paths.home, forgotten.needles)
    assert not left, {needle: places[:3] for needle, places in left.items()}


def test_the_version_that_held_them_is_withdrawn_and_replaced(forgotten) -> None:
    paths = forgotten.paths
    ref = registry.resolve(paths, forgotten.withdrawn_version)
    manifest = ref.manifest()
    assert manifest["status"] == "withdrawn" and manifest["withdrawal"]["reason"] == REASON
    assert [p.name for p in ref.path.iterdir()] == ["manifest.json"]
    replacement = registry.resolve(paths, manifest["replaced_by"])
    assert replacement.manifest()["parent"] == forgotten.withdrawn_version
    assert registry.resolve(paths, "latest").version == replacement.version
    result = CliRunner().invoke(app, ["datasets", "list", "--home", str(paths.home), "--json"])
    assert result.exit_code == 0, result.output
    statuses = {row["version"]: row["status"] for row in json.loads(result.stdout)["versions"]}
    assert statuses == {forgotten.withdrawn_version: "withdrawn", replacement.version: "published"}
    shown = CliRunner().invoke(app, ["datasets", "show", forgotten.withdrawn_version, "--home", str(paths.home)])
    assert shown.exit_code == 0 and "withdrawn" in shown.stdout
    home = ["--home", str(paths.home)]
    for command in (["datasets", "diff", forgotten.withdrawn_version, replacement.version, *home],
                    ["datasets", "export", forgotten.withdrawn_version, "--format", "trl-sft",
                     "--out", str(paths.tmp / "export-of-withdrawn"), *home]):
        refused = CliRunner().invoke(app, command)
        assert refused.exit_code == 2 and "withdrawn" in refused.output, refused.output


def test_the_audit_records_the_deletion_without_naming_anyone(forgotten) -> None:
    table = audit.read(forgotten.paths.state).to_pylist()
    rows = [r for r in table if r["request_id"] == forgotten.report.request_id]
    stores = {r["store"]: r["rows"] for r in rows}
    assert stores["raw/events"] > 0 and stores["lake/events"] > 0 and stores["landing (lines)"] > 0
    assert any(s.startswith("warehouse/") for s in stores)
    assert all(r["subject_hash"] == forgotten.report.subject_hash for r in rows)
    text = json.dumps(table)
    assert forgotten.user not in text and not any(n in text for n in forgotten.needles)


def test_the_tombstone_hash_is_not_a_pseudonym_used_in_data(forgotten) -> None:
    (stone,) = [t for t in tombstones.load(forgotten.paths.state) if t.kind == "user"]
    # it is in state/ only: no data file carries it
    found = search_home(forgotten.paths.home, {stone.subject_hash})
    files = {place.split(" ")[0] for place in found.get(stone.subject_hash, [])}
    assert files <= {"state/tombstones.jsonl", "state/deletion_audit.parquet"}


def test_a_replayed_landing_file_does_not_bring_them_back(forgotten) -> None:
    paths = forgotten.paths
    rewritten = {r: (paths.landing / r).read_bytes() for r in forgotten.saved_landing}
    restore(paths, forgotten.saved_landing)  # the old files arrive again
    key = settings.pseudonym_key(paths)
    days = sorted({r.split("/")[1].removeprefix("date=") for r in forgotten.saved_landing})
    forgotten_lines = 0
    try:
        for day in days:
            stats = ingest_day(paths, "events", day,
                               tombstones=tombstones.TombstoneFilter(key, tombstones.load(paths.state)))
            assert stats.balanced
            forgotten_lines += stats.forgotten
        with duckdb.connect() as con:
            back = con.execute(
                f"SELECT count(*) FROM read_parquet('{paths.raw_table('events')}/*/*.parquet') WHERE user_id = ?",
                [forgotten.user]).fetchone()[0]
        assert back == 0
        assert forgotten_lines >= forgotten.lines_of_user > 0
    finally:
        restore(paths, rewritten)
        for day in days:
            ingest_day(paths, "events", day, tombstones=tombstones.TombstoneFilter(key, tombstones.load(paths.state)))


def test_forgetting_again_is_a_no_op(forgotten) -> None:
    paths = forgotten.paths
    versions = [v.version for v in registry.list_versions(paths)]
    again = forget(paths, Subject("user", forgotten.user), REASON)
    assert again.rows_removed == 0 and not again.withdrawn and not again.replacements
    assert [v.version for v in registry.list_versions(paths)] == versions
    assert len([t for t in tombstones.load(paths.state) if t.kind == "user"]) == 1


def test_a_workspace_forget_keeps_revenue_totals(forgotten) -> None:
    paths = forgotten.paths
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        before = mrr_totals(con)
        workspace = con.execute("""
            SELECT workspace_id FROM fct_mrr WHERE mrr_usd > 0 AND workspace_id IN (
                SELECT workspace_id FROM base_lake__events) ORDER BY workspace_id LIMIT 1""").fetchone()[0]
        bridge_before = con.execute("SELECT month, closing_mrr_usd FROM fct_mrr_bridge ORDER BY 1").fetchall()
    truth_before = _mrr_csv_totals(paths)
    billing_files = {str(p.relative_to(paths.landing)): p.read_bytes() for p in paths.landing.glob("billing/*/*")}

    result = CliRunner().invoke(app, ["forget", "--workspace", workspace, "--reason", REASON,
                                      "--home", str(paths.home), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows_removed"] > 0
    assert any(s["action"] == "pseudonymized" for s in report["stores"])

    pseudonym = billing_pseudonym(settings.pseudonym_key(paths), "workspace", workspace)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        assert mrr_totals(con) == before
        assert con.execute("SELECT month, closing_mrr_usd FROM fct_mrr_bridge ORDER BY 1").fetchall() == bridge_before
        assert con.execute("SELECT count(*) FROM fct_mrr WHERE workspace_id = ?", [pseudonym]).fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM base_lake__events WHERE workspace_id = ?", [workspace]).fetchone()[0] == 0
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        assert mrr_totals(con) == before
    assert _mrr_csv_totals(paths) == truth_before
    assert not search_home(paths.home, {workspace})

    # a replay of the old billing files loads the same rows under the same pseudonym
    rewritten = {r: (paths.landing / r).read_bytes() for r in billing_files}
    restore(paths, billing_files)
    key = settings.pseudonym_key(paths)
    try:
        for day in sorted({r.split("/")[1].removeprefix("date=") for r in billing_files}):
            before_rows = pq.read_table(paths.lake_table("billing") / f"ingest_date={day}" / "part-0.parquet")
            stats = ingest_day(paths, "billing", day, tombstones=tombstones.TombstoneFilter(key, tombstones.load(paths.state)))
            after_rows = pq.read_table(paths.lake_table("billing") / f"ingest_date={day}" / "part-0.parquet")
            assert stats.balanced and after_rows.num_rows == before_rows.num_rows
            assert workspace not in after_rows["workspace_id"].to_pylist()
            assert sorted(after_rows["workspace_id"].to_pylist()) == sorted(before_rows["workspace_id"].to_pylist())
    finally:
        restore(paths, rewritten)


def _mrr_csv_totals(paths: settings.FlywheelPaths) -> dict[str, str]:
    import csv
    from decimal import Decimal

    totals: dict[str, Decimal] = {}
    with (paths.ground_truth / "mrr.csv").open() as handle:
        for row in csv.DictReader(handle):
            totals[row["month"]] = totals.get(row["month"], Decimal(0)) + Decimal(row["mrr_usd"])
    return {m: str(v) for m, v in sorted(totals.items())}


def test_cli_errors_are_clear(forgotten, tmp_path) -> None:
    runner = CliRunner()
    both = runner.invoke(app, ["forget", "--user", "usr_1", "--workspace", "ws_1", "--reason", "x",
                               "--home", str(tmp_path / "h")])
    assert both.exit_code == 2 and "exactly one" in both.output
    bad = runner.invoke(app, ["forget", "--user", "not an id!", "--reason", "x", "--home", str(tmp_path / "h")])
    assert bad.exit_code == 2 and "not a valid id" in bad.output
    named = runner.invoke(app, ["forget", "--user", "usr_1", "--reason", "usr_1 asked", "--home", str(tmp_path / "h")])
    assert named.exit_code == 2 and "contains the id" in named.output
    from pipelines.locks import exclusive_run

    home = settings.paths(tmp_path / "locked")
    settings.ensure_layout(home)
    with exclusive_run(home.state / "run.lock"):
        held = runner.invoke(app, ["forget", "--user", "usr_1", "--reason", "request", "--home", str(home.home)])
    assert held.exit_code == 3 and "--wait" in held.output
    shutil.rmtree(tmp_path / "locked")
