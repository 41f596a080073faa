"""The rules one at a time: text macros, ids, splits, MinHash, and the example construction."""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.datasets import ids, text
from pipelines.datasets.config import DatasetConfig
from pipelines.datasets.minhash import MinHasher, lsh_params
from tests.datasets.conftest import make_home
from tests.datasets.helpers import (
    SMALL_CONFIG,
    TEST_KEY,
    Answer,
    Scenario,
    assemble,
    rows,
    session_in,
)

pytestmark = pytest.mark.xdist_group("datasets")


@pytest.fixture(scope="session")
def sql() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for statement in text.sql_macros() + ids.sql_macros(b"k" * 40):
        con.execute(statement)
    return con


@settings(max_examples=60, deadline=None)
# NUL never reaches the lake (the scrubber removes control characters) and DuckDB cuts strings at it.
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=80))
def test_sql_normalisation_and_tokens_match_python(sql: duckdb.DuckDBPyConnection, value: str) -> None:
    normalised, tokens = sql.execute("SELECT fw_norm(?), fw_tokens(?)", [value, value]).fetchone()
    assert normalised == text.normalize(value)
    assert tokens == text.estimate_tokens(value)


@pytest.mark.parametrize("prose", [None, "", "  Done.\n", "Added a chart."])
@pytest.mark.parametrize("patch", [None, "", "\n", "+x\n", "--- a\n+++ b\n+```md\n"])
def test_sql_answer_rendering_matches_python(sql: duckdb.DuckDBPyConnection, prose: str | None, patch: str | None) -> None:
    assert sql.execute("SELECT fw_answer(?, ?)", [prose, patch]).fetchone()[0] == text.render_answer(prose, patch)


def test_keyed_ids_and_split_points_match_python(sql: duckdb.DuckDBPyConnection) -> None:
    for message in ("resp_1", "ses_ü", "a" * 300):
        got = sql.execute("SELECT fw_id('generation', ?), fw_split_point('salt', ?)", [message, message]).fetchone()
        assert got[0] == ids.keyed_id(b"k" * 40, "generation", message)
        assert got[1] == pytest.approx(ids.split_point("salt", message), abs=1e-15)
    assert ids.keyed_id(b"k" * 40, "sft", "x") != ids.keyed_id(b"k" * 41, "sft", "x")  # keyed
    assert ids.keyed_id(b"k" * 40, "sft", "x") != ids.keyed_id(b"k" * 40, "unpaired", "x")  # domains


def test_token_estimate_counts_framing() -> None:
    assert text.estimate_tokens("abcd") == 1 and text.estimate_tokens("abcde") == 2
    assert text.estimate_tokens("日本") == 2  # 6 UTF-8 bytes
    assert text.estimate_conversation_tokens(["abcd", "abcd"]) == 1 + 4 + 1 + 4 + 3


@pytest.mark.parametrize(
    ("prompt", "language"),
    [
        ("build me a habit tracker with a weekly streak chart", "en"),
        ("Fix this error", "en"),
        ("crea una app de reservas para mi peluquería", "es"),
        ("la page est blanche après la connexion", "fr"),
        ("erstelle eine App zum Verwalten von Rezepten", "de"),
        ("o carrinho não atualiza", "pt"),
        ("aggiungi un pulsante per esportare", "it"),
        ("日本語のアプリを作って", "ja"),
        ("Сделай приложение", "ru"),
        ("continue", "und"),
        ("{}", "und"),
    ],
)
def test_language_heuristic(prompt: str, language: str) -> None:
    assert text.detect_language(prompt) == language


def test_minhash_equals_datasketch_and_finds_near_duplicates() -> None:
    params = lsh_params(0.8, 64, 5)
    hasher = MinHasher(params)
    base = " ".join(f"word{i}" for i in range(200))
    texts = [base, base.replace("word100", "changed"), "something else entirely, short", "x"]
    signatures = hasher.signatures(texts)
    shingles, starts = hasher.shingle_hashes(texts)
    bounds = [*starts.tolist(), len(shingles)]
    for i in range(len(texts)):
        reference = MinHash(num_perm=64, seed=1, scheme="affine32", hashfunc=int)
        reference.update_batch(shingles[bounds[i]:bounds[i + 1]].tolist())
        assert np.array_equal(reference.hashvalues, signatures[i])
    bands = hasher.band_hashes(signatures)
    assert (bands[0] == bands[1]).any()  # one word changed in 200: a near duplicate
    assert not (bands[0] == bands[2]).any()


# --- example construction on hand-made sessions -------------------------------------------------


@pytest.fixture(scope="session")
def scenario_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, dict]:
    """One home with a session for each rule; returns the build's connection and the session names."""
    import os

    from pipelines import settings as fw_settings
    from tests.datasets.helpers import TEST_KEY

    os.environ[fw_settings.PSEUDONYM_KEY_ENV] = TEST_KEY
    paths = make_home(tmp_path_factory.mktemp("rules") / "home")
    s = Scenario()
    s.user("alice")
    s.user("never", consent="never")
    s.user("revoked", consent="revoked")
    names = {
        "context": session_in("train", "ctx"),
        "pair": session_in("train", "pair"),
        "consent_never": session_in("train", "nv"),
        "consent_revoked": session_in("train", "rv"),
        "threshold": session_in("train", "thr"),
        "foreign": session_in("train", "es"),
        "long": session_in("train", "long"),
        "dup_a": session_in("train", "dupa"),
        "dup_b": session_in("train", "dupb"),
        "near_a": session_in("train", "neara"),
        "near_b": session_in("train", "nearb"),
        "eval_test": session_in("test", "evt"),
        "eval_train": session_in("train", "evr"),
        "resent": session_in("train", "rs"),
    }
    # context: three turns; the last sees the first two with the answer each turn ended with
    s.turn(names["context"], "alice", 0, "build me a recipe finder", Answer(text="Recipe finder ready."))
    s.turn(names["context"], "alice", 1, "add a search bar to it",
           Answer(label="failure", score=0.1, failure_reason="regenerated", text="First try."),
           Answer(text="Search bar added."))
    s.turn(names["context"], "alice", 2, "now make it dark", Answer(text="Dark mode on."))
    # a pair: regenerated failure then success, plus a build failure that pairs are not made of
    s.turn(names["pair"], "alice", 0, "make a snake game",
           Answer(label="failure", score=0.1, failure_reason="regenerated", text="Broken snake."),
           Answer(label="failure", score=0.2, failure_reason="build_failed", text="Snake that fails to build."),
           Answer(label="success", score=0.95, text="Snake game done."))
    for user, session in (("never", "consent_never"), ("revoked", "consent_revoked")):
        s.turn(names[session], user, 0, "make a quiz game", Answer(text=f"Quiz for {user}."))
    s.turn(names["threshold"], "alice", 0, "make a weather app", Answer(score=0.6, text="Weather, maybe."))
    s.turn(names["foreign"], "alice", 0, "crea una app de reservas para mi peluquería", Answer(text="Listo."))
    s.turn(names["long"], "alice", 0, "make a huge app", Answer(text="word " * 40_000))
    for session in ("dup_a", "dup_b"):
        s.turn(names[session], "alice", 0, "make a todo list app", Answer(text="Todo list ready, same."))
    long_answer = " ".join(f"token{i}" for i in range(300))
    s.turn(names["near_a"], "alice", 0, "make a kanban board please", Answer(text=long_answer))
    s.turn(names["near_b"], "alice", 0, "make a kanban board please",
           Answer(text=long_answer.replace("token150", "other")))
    # a re-sent prompt event (same id) arriving a day later with other text: the first copy wins
    s.turn(names["resent"], "alice", 0, "make a budget planner", Answer(text="Budget planner ready."))
    s.events.append({**s.events[-2], "ingest_date": "2026-11-03", "prompt_text": "a later copy"})
    s.turn(names["eval_test"], "alice", 0, "make a pomodoro timer", Answer(text="Timer A."))
    s.turn(names["eval_train"], "alice", 0, "make a pomodoro timer", Answer(text="Timer B, different."))
    s.write(paths)
    con, _ = assemble(paths, SMALL_CONFIG.replace(max_tokens=4000))
    return con, names


def _ref(domain: str, value: str) -> str:
    return ids.keyed_id(TEST_KEY.encode(), domain, value)


def _written(con: duckdb.DuckDBPyConnection, kind: str) -> list[dict]:
    """The rows the build would write for ``kind``, every split: the whole build as one bucket."""
    from pipelines.datasets import build

    for sql in build.write_tables_sql(1):
        con.execute(sql)
    for bucket_table, table in (("bucket_rows", "write_rows"), ("bucket_prompts", "prompts"), ("bucket_answers", "answers")):
        con.execute(f"CREATE OR REPLACE TEMP VIEW {bucket_table} AS SELECT * FROM {table}")
    return rows(con, f"SELECT * EXCLUDE (split) FROM ({build.output_sql(kind, SMALL_CONFIG)}) ORDER BY example_id")


def _fates(con: duckdb.DuckDBPyConnection, session: str) -> list[dict]:
    return rows(con, """SELECT f.kind, f.reason, c.chosen_id, c.rejected_id FROM fates AS f
                        JOIN candidates AS c USING (kind, example_id) WHERE c.session_id = ?
                        ORDER BY f.kind, c.chosen_id, c.rejected_id""", [session])


def test_context_holds_earlier_turns_with_the_answer_each_turn_ended_with(scenario_build) -> None:
    con, names = scenario_build
    (row,) = [r for r in _written(con, "sft") if r["conversation_ref"] == _ref("conversation", names["context"])
              and r["turn_index"] == 2]
    assert [m["role"] for m in row["prompt"]] == ["user", "assistant", "user", "assistant", "user"]
    assert [m["content"] for m in row["prompt"]][::2] == [
        "build me a recipe finder", "add a search bar to it", "now make it dark"]
    assert row["prompt"][3]["content"].startswith("Search bar added.")  # not the regenerated try
    assert row["completion"][0]["content"].startswith("Dark mode on.\n\n```diff\n")
    assert row["context_turns"] == 2


def test_pairs_join_a_success_to_a_failure_of_the_same_turn(scenario_build) -> None:
    con, names = scenario_build
    fates = _fates(con, names["pair"])
    pairs = [f for f in fates if f["kind"] == "preference"]
    assert {(p["rejected_id"].rsplit("_", 1)[1], p["reason"]) for p in pairs} == {("1", None), ("2", "failure_kind")}
    (pair,) = [r for r in _written(con, "preference") if r["conversation_ref"] == _ref("conversation", names["pair"])]
    assert pair["chosen"][0]["content"].startswith("Snake game done.")
    assert pair["rejected"][0]["content"].startswith("Broken snake.")
    assert pair["prompt"] == [{"role": "user", "content": "make a snake game"}]
    unpaired = sorted((f["chosen_id"][-1], f["reason"]) for f in fates if f["kind"] == "unpaired")
    assert unpaired == [("1", None), ("2", None), ("3", None)]  # every labelled generation, for KTO


def test_users_without_consent_are_left_out_entirely(scenario_build) -> None:
    con, names = scenario_build
    for session in ("consent_never", "consent_revoked"):
        assert {f["reason"] for f in _fates(con, names[session])} == {"consent"}
    assert not rows(con, "SELECT 1 FROM open_candidates WHERE session_id IN (?, ?)",
                    [names["consent_never"], names["consent_revoked"]])  # their text is never read


def test_threshold_language_and_length_filters(scenario_build) -> None:
    con, names = scenario_build
    assert {f["reason"] for f in _fates(con, names["threshold"])} == {"threshold"}
    assert {f["reason"] for f in _fates(con, names["foreign"])} == {"language"}
    assert {f["reason"] for f in _fates(con, names["long"])} == {"too_long"}


def test_exact_and_near_duplicates_keep_one(scenario_build) -> None:
    con, names = scenario_build
    for first, second, reason in (("dup_a", "dup_b", "exact_duplicate"), ("near_a", "near_b", "near_duplicate")):
        sft = [f["reason"] for s in (first, second) for f in _fates(con, names[s]) if f["kind"] == "sft"]
        assert sorted(sft, key=str) == sorted([None, reason], key=str)


def test_examples_overlapping_the_test_split_are_removed(scenario_build) -> None:
    con, names = scenario_build
    assert {f["reason"] for f in _fates(con, names["eval_test"])} == {None}
    assert {f["reason"] for f in _fates(con, names["eval_train"])} == {"overlaps_eval"}


def test_splits_follow_the_session_hash(scenario_build) -> None:
    con, _ = scenario_build
    config = DatasetConfig()
    for row in rows(con, "SELECT DISTINCT session_id, split FROM candidates"):
        point = ids.split_point(config.split_salt, row["session_id"])
        assert ids.split_of(point, config.validation_fraction, config.test_fraction) == row["split"]


def test_the_builds_duplicate_keys_are_those_of_the_written_messages(scenario_build) -> None:
    """The build keys examples from per-text hashes; the files' messages must give the same keys."""
    con, _ = scenario_build
    for kind in ("sft", "preference", "unpaired"):
        answers = ["completion"] if kind != "preference" else ["chosen", "rejected"]
        for row in _written(con, kind):
            whole = "".join(
                con.execute("SELECT fw_messages_string(?)", [row[column]]).fetchone()[0]
                for column in ["prompt", *answers])
            prompt = con.execute("SELECT fw_messages_string(?)", [row["prompt"]]).fetchone()[0]
            (keys,) = rows(con, "SELECT input_key, exact_key FROM keyed WHERE example_id = ?", [row["example_id"]])
            assert keys == {"input_key": hashlib.md5(prompt.encode()).hexdigest(),
                            "exact_key": hashlib.md5(whole.encode()).hexdigest()}
            tokens = max(con.execute("SELECT fw_conversation_tokens(list_concat(?, ?))",
                                     [row["prompt"], row[column]]).fetchone()[0] for column in answers)
            assert row["num_tokens"] == tokens


def test_a_resent_event_counts_once_with_its_first_copy(scenario_build) -> None:
    con, names = scenario_build
    (row,) = [r for r in _written(con, "sft") if r["conversation_ref"] == _ref("conversation", names["resent"])]
    assert row["prompt"][-1]["content"] == "make a budget planner"
