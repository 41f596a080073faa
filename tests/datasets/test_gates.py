"""The gates refuse what they must, and a failed or interrupted build publishes nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines import settings
from pipelines.datasets import build, gates, publish, synthetic
from pipelines.datasets.config import BuildOptions
from pipelines.datasets.formats import parquet_path
from tests.datasets.conftest import make_home
from tests.datasets.helpers import (
    SMALL_CONFIG,
    TEST_KEY,
    Answer,
    Scenario,
    publish_version,
)

pytestmark = pytest.mark.xdist_group("datasets")


def _nothing_published(paths: settings.FlywheelPaths) -> None:
    root = paths.datasets / SMALL_CONFIG.name
    assert not root.exists() or not [p for p in root.iterdir() if p.name.startswith("v") and p.is_dir()]
    assert not list(paths.tmp.glob(f"{publish.WORK_PREFIX}*")), "the work directory was left behind"


@pytest.fixture
def small_home(tmp_path: Path) -> settings.FlywheelPaths:
    paths = make_home(tmp_path / "home")
    synthetic.synthesize(paths, 600, days=2)
    return paths


def test_personal_data_found_by_the_rescan_blocks_publication(small_home) -> None:
    with duckdb.connect(str(small_home.warehouse)) as con:
        (generation_id,) = con.execute("""SELECT generation_id FROM fct_generations JOIN dim_users USING (user_id)
            WHERE outcome_label = 'success' AND consent_status = 'granted' ORDER BY generation_id LIMIT 1""").fetchone()
    # an e-mail address the scrubber missed, in one answer of the lake
    partition = next(small_home.lake_table("events").glob("ingest_date=*/part-0.parquet"))
    for path in small_home.lake_table("events").glob("ingest_date=*/part-0.parquet"):
        table = pq.read_table(path)
        texts = table.column("assistant_text").to_pylist()
        event_ids = table.column("event_id").to_pylist()
        if generation_id in event_ids:
            texts[event_ids.index(generation_id)] = "Done. Mail me at jane.doe@example.com"
            table = table.set_column(table.schema.get_field_index("assistant_text"), "assistant_text",
                                     pa.array(texts, pa.string()))
            pq.write_table(table, path)
            partition = path
    assert partition
    result = publish_version(small_home)
    assert result.status == "failed"
    rescan = next(g for g in result.gates if g.name == "pii_rescan_clean")
    assert not rescan.passed and rescan.metadata["findings_by_entity"] == {"EMAIL_ADDRESS": 1}
    assert "jane.doe" not in str(rescan.metadata)  # counts, never values
    _nothing_published(small_home)


def test_without_a_scanner_the_rescan_gate_fails(small_home) -> None:
    result = publish_version(small_home, scanner=None)
    assert result.status == "failed"
    assert next(g for g in result.gates if g.name == "pii_rescan_clean").metadata["error"]
    _nothing_published(small_home)


def test_too_few_examples_blocks_publication(small_home) -> None:
    result = publish_version(small_home, SMALL_CONFIG.replace(min_examples={"sft": 10**9}))
    gate = next(g for g in result.gates if g.name == "min_examples")
    assert result.status == "failed" and not gate.passed and "sft" in gate.metadata["below_minimum"]
    _nothing_published(small_home)


def test_an_exception_mid_build_leaves_nothing(small_home, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(gates, "eval_overlap_gate", explode)  # after every file is written
    with pytest.raises(RuntimeError, match="disk on fire"):
        publish_version(small_home)
    _nothing_published(small_home)


KILL_SCRIPT = """
import os, signal, sys
from pipelines import settings
from pipelines.datasets import gates
from tests.datasets.helpers import publish_version

def die(*args, **kwargs):
    print("files written, killing myself", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

gates.formats_gate = die
publish_version(settings.paths(sys.argv[1]))
"""


def test_a_killed_build_leaves_no_version_and_its_debris_is_swept(small_home) -> None:
    env = {**os.environ, settings.PSEUDONYM_KEY_ENV: TEST_KEY, "PYTHONPATH": str(settings.PROJECT_ROOT)}
    done = subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(small_home.home)], env=env,
                          cwd=settings.PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert "files written" in done.stdout
    root = small_home.datasets / SMALL_CONFIG.name
    assert not root.exists() or not any(p.name.startswith("v") for p in root.iterdir())
    debris = list(small_home.tmp.glob(f"{publish.WORK_PREFIX}*"))
    assert debris and any((d / "version" / parquet_path("sft", "train")).exists() for d in debris)
    assert publish.sweep_stale_work(small_home) == debris
    _nothing_published(small_home)
    assert publish_version(small_home).status == "published"  # and the next build is unaffected


def test_consent_gate_catches_a_version_made_before_a_revocation(published, tmp_path: Path) -> None:
    paths, result = published
    home = make_home(tmp_path / "copy")
    shutil.copytree(paths.lake, home.lake, dirs_exist_ok=True)
    shutil.copyfile(paths.warehouse, home.warehouse)
    with duckdb.connect(str(home.warehouse)) as con:
        con.execute("UPDATE dim_users SET consent_status = 'revoked'")
    work = home.tmp / "gate"
    with build.connect(work, BuildOptions(), TEST_KEY.encode()) as con:
        from pipelines.datasets.sources import attach

        attach(con, home)
        gate = gates.consent_gate(con, result.path)
    assert not gate.passed
    assert gate.metadata["examples_from_users_without_consent"] == publish.total_rows(result.manifest)


def test_splits_gate_catches_a_conversation_in_two_splits(published, tmp_path: Path) -> None:
    _, result = published
    copy = tmp_path / "version"
    shutil.copytree(result.path, copy)
    train = pq.read_table(copy / parquet_path("sft", "train"))
    test = pq.read_table(copy / parquet_path("sft", "test"))
    leaked = pa.concat_tables([test, train.slice(0, 1)])
    pq.write_table(leaked, copy / parquet_path("sft", "test"))
    with duckdb.connect() as con:
        gate = gates.splits_gate(con, copy)
    assert not gate.passed and gate.metadata["conversations_in_several_splits"] == 1
    assert gates.formats_gate(result.path).passed


def test_message_pieces_split_prose_from_the_patch() -> None:
    content = "Done.\n\n```diff\n+a line\n```"
    assert gates.message_pieces("assistant", content) == [("prose", "Done."), ("code", "+a line\n")]
    assert gates.message_pieces("assistant", "```diff\n+x\n```") == [("code", "+x\n")]
    assert gates.message_pieces("user", content) == [("prose", content)]


def test_the_privacy_stage_scanner_finds_what_scrubbing_missed(tmp_path: Path) -> None:
    scanner = gates.PrivacyScanner(TEST_KEY.encode(), mode="patterns", cache_dir=None)
    try:
        found = scanner.findings(["write to jane.doe@example.com", "make a todo app",
                                  "token ghp_9fKx2LmQ7rT1vB8nW4cZ6pY3sJ0hG5dA2eU7"], "prose")
    finally:
        scanner.close()
    assert found[0].get("EMAIL_ADDRESS") == 1
    assert found[1] == {}
    assert found[2] == {"SECRET_GITHUB_TOKEN": 1}
    assert scanner.policy_version == gates.scrubbing_policy_version()


def test_the_rescan_takes_what_the_lakes_scrubber_already_read_from_its_cache(tmp_path: Path) -> None:
    """Texts the privacy stage read with the same policy are not read again; a raw text with
    personal data that reached a version is answered with its findings, so the gate still fails."""
    from pipelines.privacy.scrubber import LAKE_CACHED_POLICIES, Scrubber

    key = TEST_KEY.encode()
    raw = ["make a todo app with a dark theme", "write to jane.doe@example.com about the launch"]
    with Scrubber(key, cache_dir=tmp_path / "lake", cached_policies=LAKE_CACHED_POLICIES,
                  keeps_verified_outputs=True) as lake:  # as Scrubber.for_home opens it
        scrubbed = [r.text for r in lake.scrub(raw, "natural_language")]
    assert scrubbed[0] == raw[0] and "jane.doe" not in scrubbed[1]
    scanner = gates.PrivacyScanner(key, mode="full", cache_dir=tmp_path / "rescan",
                                   fallback_cache_dirs=[tmp_path / "lake"])
    try:
        found = scanner.findings([*scrubbed, raw[1]], "prose")
        stats = scanner._scrubber.stats
    finally:
        scanner.close()
    assert found == [{}, {}, {"EMAIL_ADDRESS": 1}]
    # all three came from the lake's cache: the untouched prompt and the leaked raw text by their
    # own keys, the scrubbed output as the verified output of its scrub (read by nobody again)
    assert (stats.cache_hits, stats.scrubbed) == (3, 0)


def test_a_patch_in_an_answer_is_the_lakes_text_and_known_there(tmp_path: Path) -> None:
    """The lake keeps, of code, the results that replaced nothing; an answer's patch, read with
    the line break that ends it, is that text."""
    from pipelines.datasets.text import render_answer
    from pipelines.privacy.scrubber import LAKE_CACHED_POLICIES, Scrubber

    key = TEST_KEY.encode()
    patch = "--- a/src/App.tsx\n+++ b/src/App.tsx\n@@ -1 +1 @@\n-<h1>Hi</h1>\n+<h1>Hello</h1>\n"
    with Scrubber(key, cache_dir=tmp_path / "lake", cached_policies=LAKE_CACHED_POLICIES) as lake:
        assert lake.scrub([patch], "code")[0].text == patch
    (piece,) = [t for kind, t in gates.message_pieces("assistant", render_answer(None, patch)) if kind == "code"]
    assert piece == patch
    scanner = gates.PrivacyScanner(key, cache_dir=None, fallback_cache_dirs=[tmp_path / "lake"])
    try:
        assert scanner.findings([piece], "code") == [{}]
        assert scanner._scrubber.stats.cache_hits == 1
    finally:
        scanner.close()


def _upstream_defs(check_passes: bool | None) -> dg.Definitions:
    @dg.asset(name="fct_generations", check_specs=[dg.AssetCheckSpec("ge_suite", asset="fct_generations", blocking=True)])
    def fct_generations() -> dg.MaterializeResult:
        return dg.MaterializeResult(check_results=[dg.AssetCheckResult(check_name="ge_suite", passed=bool(check_passes))])

    return dg.Definitions(assets=[fct_generations])


@pytest.mark.parametrize("check_passes", [True, False, None])
def test_upstream_gate_reads_the_latest_blocking_check_results(check_passes: bool | None) -> None:
    defs = _upstream_defs(check_passes)
    key = dg.AssetKey("fct_generations")
    with dg.DagsterInstance.ephemeral() as instance:
        if check_passes is not None:
            defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
        gate = gates.upstream_gate(instance, defs.resolve_asset_graph(), [key])
    assert gate.passed is bool(check_passes)
    expected = {True: "succeeded", False: "failed", None: "never run"}[check_passes]
    assert gate.metadata["blocking_checks"] == {"fct_generations:ge_suite": expected}


def test_a_session_of_one_user_never_crosses_splits(tmp_path: Path) -> None:
    paths = make_home(tmp_path / "home")
    s = Scenario()
    for n in range(12):
        s.turn(f"ses{n}", "u1", 0, f"make app number {n} with a chart", Answer(text=f"App {n} done."))
        s.turn(f"ses{n}", "u1", 1, f"add login to app {n}", Answer(text=f"Login {n} added."))
    s.write(paths)
    with build.connect(paths.tmp / "w", BuildOptions(), TEST_KEY.encode()) as con:
        build.assemble(con, paths, SMALL_CONFIG, BuildOptions(), paths.tmp / "w")
        (crossing,) = con.execute(
            "SELECT count(*) FROM (SELECT session_id FROM kept GROUP BY ALL HAVING count(DISTINCT split) > 1)"
        ).fetchone()
    assert crossing == 0


def test_the_rescan_reads_each_distinct_message_once_across_batches() -> None:
    def batch(rows: list[tuple[str, str]]) -> pa.RecordBatch:
        roles, contents = zip(*rows, strict=True)
        keys = [f"{role}\0{content}" for role, content in rows]
        return pa.record_batch([pa.array(roles), pa.array(contents), pa.array(keys)], names=["role", "content", "key"])

    batches = [
        batch([("user", "a"), ("assistant", "b"), ("user", "a")]),
        batch([("assistant", "a"), ("user", "a"), ("user", "c")]),  # same text, other role: distinct
        batch([("user", "c"), ("assistant", "b")]),
        batch([("user", "d")]),
    ]
    chunks = list(gates._distinct_messages(batches, chunk_rows=2))
    assert [row for chunk in chunks for row in chunk] == [
        ("user", "a"), ("assistant", "b"), ("assistant", "a"), ("user", "c"), ("user", "d")
    ]
    assert all(len(chunk) >= 2 for chunk in chunks[:-1])
