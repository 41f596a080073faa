"""The Scrubber: bad input, the cache, several workers, no network, and no leaks."""

from __future__ import annotations

import os
import random
import signal
import socket
import sqlite3
from pathlib import Path

import pytest

from pipelines.privacy import scrubber as scrubber_module
from pipelines.privacy.cache import CACHE_FILE, ScrubCache
from pipelines.privacy.engine import get_analyzer
from pipelines.privacy.pii import OfflineEmailRecognizer, offline_tld_extractor
from pipelines.privacy.policies import (
    CODE,
    DEFAULT_FIELD_POLICIES,
    NATURAL_LANGUAGE,
    POLICY_VERSION,
)
from pipelines.privacy.result import ScrubResult
from pipelines.privacy.scrubber import LAKE_CACHED_POLICIES, Scrubber, clean, ner_chunks

from .conftest import KEY

pytestmark = pytest.mark.xdist_group("privacy")


# --- bad input ---------------------------------------------------------------------------------


def test_none_and_empty_pass_through(scrubber: Scrubber) -> None:
    none, empty = scrubber.scrub([None, ""], "natural_language")
    assert none == ScrubResult(None) and empty == ScrubResult("")
    assert not none.quarantined and not empty.quarantined


def test_non_text_is_quarantined(scrubber: Scrubber) -> None:
    (result,) = scrubber.scrub([b"bytes"], "code")  # type: ignore[list-item]
    assert result.text is None and result.quarantine_reason == "not text: got bytes"


def test_binary_garbage_is_quarantined(scrubber: Scrubber) -> None:
    garbage = bytes(range(256)).decode("latin-1") * 4
    (result,) = scrubber.scrub([garbage], "natural_language")
    assert result.text is None and result.quarantine_reason.startswith("binary content")


def test_control_and_zero_width_characters_are_removed(scrubber: Scrubber) -> None:
    (result,) = scrubber.scrub(["mail jo\u200bhn@exa\x00mple.com now\x07"], "natural_language")
    assert result.findings == {"EMAIL_ADDRESS": 1}
    assert "\x00" not in result.text and "\u200b" not in result.text and "\x07" not in result.text


def test_lone_surrogates_do_not_crash(scrubber: Scrubber) -> None:
    (result,) = scrubber.scrub(["broken \ud800 text from Grace Smith"], "natural_language")
    assert result.text == "broken \ufffd text from " + result.text.split("from ")[1]
    assert "Grace Smith" not in result.text


def test_every_script(scrubber: Scrubber) -> None:
    texts = [
        "我的名字是王伟，邮箱 wangwei@example.cn",
        "اسمي أحمد، هاتفي +971 50 123 4567",
        "Меня зовут Дмитрий, почта dmitri@yandex.ru",
        "मेरा नाम प्रिया है, ईमेल priya@example.in",
        "こんにちは 🎉👨‍👩‍👧 ok",
        "Ünïcödé Ωμέγα ½ ℌ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    ]
    results = scrubber.scrub(texts, "natural_language")
    assert all(r.text is not None and not r.quarantined for r in results)
    for value in ("wangwei@example.cn", "+971 50 123 4567", "dmitri@yandex.ru", "priya@example.in"):
        assert all(value not in r.text for r in results)


def test_text_that_is_all_personal_data(scrubber: Scrubber) -> None:
    text = "Grace Smith grace.smith@gmail.com +44 7911 123456 4111 1111 1111 1111 58.74.121.78"
    (result,) = scrubber.scrub([text], "natural_language")
    assert set(result.findings) == {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "IP_ADDRESS",
    }
    assert not any(ch.isdigit() for ch in result.text.replace("_", " ").split(">")[-1])


def test_megabyte_text_is_chunked_and_scrubbed(scrubber: Scrubber) -> None:
    filler = "const value = compute(items, options);\n" * 30_000  # ~1.2 MB of code-like text
    text = "Note from Jakobine Ostrowska: " + filler + "Ask Morishita, or write to jo@example.com."
    (result,) = scrubber.scrub([text], "natural_language")
    assert not result.quarantined
    assert "jo@example.com" not in result.text and "Morishita" not in result.text
    assert "Ostrowska" not in result.text


def test_chunks_cut_at_boundaries() -> None:
    text = ("word " * 9_000 + "\n") * 3
    pieces = ner_chunks(text, limit=20_000)
    assert "".join(p for _, p in pieces) == text
    assert all(len(p) <= 20_000 for _, p in pieces)
    assert all(text[o : o + len(p)] == p for o, p in pieces)
    assert all(p.endswith((" ", "\n")) for _, p in pieces[:-1])


def test_too_long_is_quarantined() -> None:
    with Scrubber(KEY, max_chars=1000) as small:
        (result,) = small.scrub(["x" * 1001], "code")
    assert result.quarantine_reason == "too long: 1001 characters (limit 1000)"


def test_clean_keeps_ordinary_text() -> None:
    assert clean("tabs\tand\nnewlines\r\n") == ("tabs\tand\nnewlines\r\n", None)


def test_a_failing_recognizer_quarantines_only_its_text(
    scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector = scrubber_module.detector_for(NATURAL_LANGUAGE)
    original = detector._detect_one

    def fragile(text: str, pieces: list, windows: list | None = None) -> list:
        if "poison" in text:
            raise RuntimeError("recognizer bug")
        return original(text, pieces, windows)

    monkeypatch.setattr(detector, "_detect_one", fragile)
    ok, bad = scrubber.scrub(["hello Grace Smith", "poison pill"], "natural_language")
    assert ok.findings == {"PERSON": 1}
    assert bad.text is None and bad.quarantine_reason == "scrubbing failed (RuntimeError)"


def test_a_text_spacy_cannot_read_is_quarantined_not_scrubbed_with_patterns_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Patterns alone would miss the names only NER finds, and a cache would keep that result."""
    ner = get_analyzer(NATURAL_LANGUAGE).nlp_engine
    process_batch, process_text = ner.process_batch, ner.process_text

    def fail_on_poison(texts: list[str], *args: object, **kwargs: object) -> object:
        if any("poison" in t for t in texts):
            raise RuntimeError("spaCy broke")
        return process_batch(texts, *args, **kwargs)

    def fail_alone(text: str, *args: object, **kwargs: object) -> object:
        if "poison" in text:
            raise RuntimeError("spaCy broke")
        return process_text(text, *args, **kwargs)

    monkeypatch.setattr(ner, "process_batch", fail_on_poison)
    monkeypatch.setattr(ner, "process_text", fail_alone)
    with Scrubber(KEY, cache_dir=tmp_path) as s:
        ok, bad = s.scrub(["Morishita began writing as a teenager.", "Morishita ate the poison pill."],
                          "natural_language")  # fmt: skip
        assert ok.findings == {"PERSON": 1}
        assert bad.text is None and bad.quarantine_reason == "scrubbing failed (NerFailed)"
        assert len(s.cache) == 1  # the quarantined text is not remembered


# --- cache -------------------------------------------------------------------------------------


def test_cache_hits_misses_and_duplicates(tmp_path: Path) -> None:
    texts = ["my email is ana@x.io", "fix the navbar", "my email is ana@x.io", None]
    with Scrubber(KEY, cache_dir=tmp_path) as first:
        cold = first.scrub(texts, "natural_language")
        assert (first.stats.cache_hits, first.stats.scrubbed, first.stats.duplicates) == (0, 2, 1)
    with Scrubber(KEY, cache_dir=tmp_path) as second:
        warm = second.scrub(texts, "natural_language")
        assert (second.stats.cache_hits, second.stats.scrubbed) == (2, 0)
        assert (
            second.scrub(["fix the navbar"], "code") and second.stats.scrubbed == 1
        )  # policy is in the key
    assert cold == warm


def test_the_lakes_scrubber_keeps_no_code_outputs(tmp_path: Path) -> None:
    """Code texts are near unique in the lake: only those that replaced nothing are kept, with
    no text (the training sets' re-scan finds them there)."""
    texts = ["token = 'x'  # ana@x.io", "def f():\n    return 1"]
    with Scrubber(KEY, cache_dir=tmp_path, cached_policies=LAKE_CACHED_POLICIES) as first:
        cold = first.scrub(texts, "code")
        first.scrub(["fix the navbar", "mail ana@x.io"], "natural_language")
    assert cold[0].text != texts[0] and cold[1].text == texts[1]
    with Scrubber(KEY, cache_dir=tmp_path, cached_policies=LAKE_CACHED_POLICIES) as second:
        assert second.scrub(texts, "code") == cold
        assert (second.stats.cache_hits, second.stats.scrubbed) == (1, 1)
        second.scrub(["fix the navbar", "mail ana@x.io"], "natural_language")
        assert second.stats.cache_hits == 3
    assert ScrubCache(tmp_path, KEY).get_many(CODE, texts) == {texts[1]: cold[1]}
    db = sqlite3.connect(tmp_path / CACHE_FILE)
    assert db.execute("SELECT count(*) FROM scrubbed").fetchone() == (1,)  # the e-mail's prose
    db.close()


def test_unchanged_results_are_kept_without_their_text(tmp_path: Path) -> None:
    """An output equal to its input is stored as a key and counts: code changes are kilobytes."""
    texts = ["fix the navbar\n" * 50, "mail ana@x.io"]
    with Scrubber(KEY, cache_dir=tmp_path) as first:
        cold = first.scrub(texts, "code")
    assert cold[0].text == texts[0] and cold[1].text != texts[1]
    db = sqlite3.connect(tmp_path / CACHE_FILE)
    assert db.execute("SELECT count(*) FROM unchanged").fetchone() == (1,)
    assert db.execute("SELECT count(*) FROM scrubbed").fetchone() == (1,)
    db.close()
    assert b"fix the navbar" not in (tmp_path / CACHE_FILE).read_bytes()
    with Scrubber(KEY, cache_dir=tmp_path) as second:
        assert second.scrub(texts, "code") == cold
        assert (second.stats.cache_hits, second.stats.scrubbed) == (2, 0)
        assert len(second.cache) == 2
        assert second.forget([texts[0]], "code") == 1 and len(second.cache) == 1
        assert second.cache.prune(keep_version="another version") == 1 and len(second.cache) == 0


def test_a_fallback_cache_answers_what_this_one_lacks_and_is_never_written(tmp_path: Path) -> None:
    lake, own, absent = tmp_path / "lake", tmp_path / "own", tmp_path / "absent"
    texts = ["fix the navbar", "write to ana.lopez@gmail.com"]
    with Scrubber(KEY, cache_dir=lake) as lake_scrubber:
        expected = lake_scrubber.scrub(texts, "natural_language")
    lake_rows = len(ScrubCache(lake, KEY))
    with Scrubber(KEY, cache_dir=own, fallback_cache_dirs=[absent, lake]) as rescan:
        assert rescan.scrub([*texts, "make a todo app"], "natural_language")[:2] == expected
        assert (rescan.stats.cache_hits, rescan.stats.scrubbed) == (2, 1)
        # what the fallback answered is this cache's own now
        assert rescan.cache is not None and len(rescan.cache) == 3
        assert rescan.scrub(texts, "code") and rescan.stats.scrubbed == 3  # the policy is in the key
    assert len(ScrubCache(lake, KEY)) == lake_rows
    assert not absent.exists()
    with Scrubber(KEY, fallback_cache_dirs=[lake]) as uncached:
        assert uncached.scrub(texts, "natural_language") == expected
        assert uncached.stats.scrubbed == 0


def test_a_fallback_is_only_read_even_one_from_before_the_unchanged_table(tmp_path: Path) -> None:
    """The fallback may be another process's live cache: opening it writes nothing, not even a
    table it lacks."""
    lake = tmp_path / "lake"
    lake.mkdir()
    db = sqlite3.connect(lake / CACHE_FILE)
    db.execute("CREATE TABLE scrubbed (key BLOB PRIMARY KEY, policy_version TEXT NOT NULL, text TEXT NOT NULL, "
               "findings TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID")  # fmt: skip
    keys = ScrubCache(tmp_path / "keys", KEY)  # a key depends on the key and the text, not the file
    db.execute("INSERT INTO scrubbed VALUES (?, ?, ?, ?, 0)",
               (keys.key_for(NATURAL_LANGUAGE, "fix the navbar"), POLICY_VERSION, "fix the navbar", "{}"))  # fmt: skip
    keys.close()
    db.commit()
    db.close()
    before = (lake / CACHE_FILE).read_bytes()
    with Scrubber(KEY, cache_dir=tmp_path / "own", fallback_cache_dirs=[lake]) as rescan:
        assert rescan.scrub(["fix the navbar"], "natural_language")[0].text == "fix the navbar"
        assert rescan.stats.cache_hits == 1
    assert (lake / CACHE_FILE).read_bytes() == before
    assert sorted(p.name for p in lake.iterdir()) == [CACHE_FILE]


def test_forget_reaches_rows_an_older_policy_version_left(tmp_path: Path) -> None:
    text = "def f():\n    return 1\n"
    old = ScrubCache(tmp_path, KEY, policy_version="0.old")
    old.put_many(CODE, [(text, ScrubResult(text, {}))])
    old.put_many(CODE, [("x = 'ana@x.io'", ScrubResult("x = '<EMAIL_ADDRESS_000000>'", {"EMAIL_ADDRESS": 1}))])
    old.close()
    current = ScrubCache(tmp_path, KEY)
    assert current.get_many(CODE, [text]) == {}  # another version: not an answer
    assert current.forget(CODE, [text, "x = 'ana@x.io'"]) == 2 and len(current) == 0
    current.close()


def test_cache_holds_no_raw_text_and_keys_need_the_key(tmp_path: Path) -> None:
    with Scrubber(KEY, cache_dir=tmp_path) as s:
        s.scrub(["write to ana.lopez@gmail.com"], "natural_language")
    raw = (tmp_path / CACHE_FILE).read_bytes()
    assert b"ana.lopez@gmail.com" not in raw and b"write to ana" not in raw
    with Scrubber(b"another key", cache_dir=tmp_path) as other:
        other.scrub(["write to ana.lopez@gmail.com"], "natural_language")
        assert other.stats.cache_hits == 0


def test_new_policy_version_misses_and_prune_removes_old_entries(tmp_path: Path) -> None:
    with Scrubber(KEY, cache_dir=tmp_path) as s:
        s.scrub(["hello Grace Smith"], "natural_language")
    old = ScrubCache(tmp_path, KEY, policy_version="0.old")
    assert old.get_many(NATURAL_LANGUAGE, ["hello Grace Smith"]) == {}
    old.put_many(
        NATURAL_LANGUAGE,
        [("hello Grace Smith", ScrubResult("hello <PERSON_000000>", {"PERSON": 1}))],
    )
    assert len(old) == 2
    current = ScrubCache(tmp_path, KEY)
    assert current.prune() == 1 and len(current) == 1
    assert current.policy_version == POLICY_VERSION
    old.close()
    current.close()


def test_forget_deletes_entries(tmp_path: Path) -> None:
    with Scrubber(KEY, cache_dir=tmp_path) as s:
        s.scrub(["a", "hello Grace Smith"], "natural_language")
        assert s.forget(["hello Grace Smith"], "natural_language") == 1
        assert len(s.cache) == 1


def test_for_home_uses_the_configured_key_and_cache(home, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYWHEEL_PSEUDONYM_KEY", "home key")
    with Scrubber.for_home(home) as s:
        (result,) = s.scrub(["my email is ana@x.io"], "natural_language")
    assert (home.cache / "scrub" / CACHE_FILE).exists()
    with Scrubber(b"home key") as same_key:
        assert same_key.scrub(["my email is ana@x.io"], "natural_language")[0] == result
    # the lake's scrubber keeps its verified outputs (the training sets' re-scan reads those)
    assert result.output_verified
    assert ScrubCache(home.cache / "scrub", b"home key").get_many(NATURAL_LANGUAGE, [result.text]) == {
        result.text: ScrubResult(result.text)}


def test_deleting_the_cache_file_is_safe(tmp_path: Path) -> None:
    with Scrubber(KEY, cache_dir=tmp_path) as s:
        before = s.scrub(["hello Grace Smith"], "natural_language")
    (tmp_path / CACHE_FILE).unlink()
    with Scrubber(KEY, cache_dir=tmp_path) as s:
        assert s.scrub(["hello Grace Smith"], "natural_language") == before
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        assert db.execute("select count(*) from scrubbed").fetchone()[0] == 1


# --- workers -----------------------------------------------------------------------------------


def test_several_workers_give_the_same_results(scrubber: Scrubber, prompts: list[str]) -> None:
    texts = prompts[:120] + ["Grace Smith, grace@x.io, 4111 1111 1111 1111"] * 3 + [None, ""]
    single = scrubber.scrub(texts, "natural_language")
    with Scrubber(KEY, workers=2, batch_size=16) as parallel:
        assert parallel.scrub(texts, "natural_language") == single
        assert parallel.scrub(texts, "code") == scrubber.scrub(texts, "code")


def test_submissions_gathered_in_order_give_what_scrub_gives_and_send_a_text_once(
    scrubber: Scrubber, prompts: list[str]
) -> None:
    """What the lake's scrub does a batch ahead: its next texts go to the workers before the last
    ones are gathered. A text already on its way is taken from the earlier submission."""
    texts, later = prompts[:60], [*prompts[30:90], None, ""]
    with Scrubber(KEY, workers=2, batch_size=8) as ahead:
        first = ahead.submit(texts, "natural_language")
        second = ahead.submit(later, "natural_language")  # half of it on its way already
        as_code = ahead.submit(texts, "code")  # the same texts, another policy: scrubbed again
        assert first() == scrubber.scrub(texts, "natural_language")
        assert second() == scrubber.scrub(later, "natural_language")
        assert as_code() == scrubber.scrub(texts, "code")
        shared_texts = set(texts) & set(later)
        assert len(shared_texts) >= 25
        # a shared text counts as a duplicate: scrubbed once, not found in a cache
        assert ahead.stats.scrubbed == len(set(texts) | set(later) - {None, ""}) + len(set(texts))
        assert ahead.stats.cache_hits == 0
        assert not ahead._in_flight  # nothing outstanding: nothing remembered

        # gathered out of order: what is not back yet is scrubbed here; an abandoned submission
        # (a write that failed half way) leaves the scrubber working
        first = ahead.submit(texts, "natural_language")
        second = ahead.submit(texts[:10], "natural_language")
        assert second() == scrubber.scrub(texts[:10], "natural_language")
        assert first() == scrubber.scrub(texts, "natural_language")
        assert not ahead._in_flight
        ahead.submit(texts, "natural_language")
        assert ahead.scrub(texts[::-1], "natural_language") == scrubber.scrub(texts[::-1], "natural_language")
        assert not ahead._in_flight  # and no later call waits on the abandoned one


def test_a_dead_worker_with_calls_outstanding_costs_one_new_pool(scrubber: Scrubber, prompts: list[str]) -> None:
    """Every outstanding call notices the dead worker and is finished here; only the first drops
    the pool, so the workers started after it are not dropped (and started again) by the next."""
    parts = [prompts[:160], prompts[160:240], prompts[240:300]]
    with Scrubber(KEY, workers=2, batch_size=8) as ahead:
        ahead.warm_up(["natural_language"])
        first = ahead.submit(parts[0], "natural_language")
        second = ahead.submit(parts[1], "natural_language")
        broken = ahead._pool
        os.kill(next(iter(broken._processes)), signal.SIGKILL)
        assert first() == scrubber.scrub(parts[0], "natural_language")
        third = ahead.submit(parts[2], "natural_language")  # new workers
        started_after = ahead._pool
        assert started_after is not None and started_after is not broken
        assert second() == scrubber.scrub(parts[1], "natural_language")
        assert ahead._pool is started_after
        assert third() == scrubber.scrub(parts[2], "natural_language")


def test_a_rescanner_shares_the_workers_and_no_cache(tmp_path: Path, prompts: list[str]) -> None:
    """The leak check's scrubber: the scrub's worker processes (not started again), none of its
    caches; closing it leaves the scrub's workers running."""
    texts = prompts[:48]
    with Scrubber(KEY, cache_dir=tmp_path, workers=2, batch_size=8) as scrub:
        first = scrub.scrub(texts, "code")
        with scrub.rescanner() as rescan:
            assert rescan._pool is scrub._pool
            assert rescan.cache is None and not rescan.fallback_caches
            assert rescan.scrub(texts, "code") == first
            assert rescan.stats.cache_hits == 0 and rescan.stats.scrubbed == len(set(texts))
        assert scrub.scrub(texts[::-1], "code") == first[::-1]
        assert scrub.stats.cache_hits == len(set(texts))
        # a rescanner that has to start workers of its own (its borrowed pool broke) stops them
        rescan = scrub.rescanner()
        rescan._pool = None
        assert rescan.scrub(texts, "code") == first and rescan._pool is not scrub._pool
        own = rescan._pool
        rescan.close()
        assert own._shutdown_thread and not scrub._pool._shutdown_thread


def test_a_rescanner_reads_every_line_again() -> None:
    """Line results the scrub remembered in a process are dropped when the rescanner starts
    there: it reads each line as a new process would."""
    text = "import os\nAPI_HOST = 'db.internal'\nexport default App;\n"
    with Scrubber(KEY) as scrub:
        scrub.scrub([text], "code")
        lines = scrubber_module.detector_for(CODE).lines
        scanned = lines.lines_scanned
        scrub.scrub([text + "x = 1\n"], "code")  # remembered: only the new line is read
        assert lines.lines_scanned == scanned + 1
        with scrub.rescanner() as rescan:
            rescan.scrub([text], "code")
        assert lines.lines_scanned == scanned + 1 + 3


def test_scrub_fields_uses_each_columns_policy(scrubber: Scrubber) -> None:
    columns = {c: ["james wrote this for Grace Smith"] for c in DEFAULT_FIELD_POLICIES}
    results = scrubber.scrub_fields(columns)
    assert results["prompt_text"][0].findings == {"PERSON": 2}  # lower case "james" too
    assert results["code_patch"][0].findings == {"PERSON": 1}  # capitalised names only in code
    with pytest.raises(ValueError, match="not a text column"):
        scrubber.scrub_fields({"user_id": ["x"]}, {"user_id": "code"})


# --- no network --------------------------------------------------------------------------------


def test_email_validation_never_touches_the_network(
    scrubber: Scrubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    offline_tld_extractor.cache_clear()  # a fresh extractor must load its suffix list offline too
    extractor = offline_tld_extractor()
    assert extractor.suffix_list_urls == ()
    assert OfflineEmailRecognizer().validate_result("ana@studio-nova.co.uk")
    (result,) = scrubber.scrub(["reach me at ana@studio-nova.co.uk today"], "natural_language")
    assert result.findings == {"EMAIL_ADDRESS": 1}


# --- zero leaks against the simulator's ground truth -------------------------------------------


def test_no_planted_value_survives(scrubber: Scrubber) -> None:
    """Every value the simulator plants (its own generators and carriers) is gone after scrubbing."""
    from pipelines.simulator import injection
    rng = random.Random(11)
    cases: list[tuple[str, str, list[tuple[str, str]]]] = []
    for _ in range(120):
        persona = injection.new_persona(rng)
        text, planted = injection.pii_in_prompt(rng, "make the navbar sticky", persona)
        cases.append(("prompt_text", text, planted))
        cases.append(
            ("assistant_text", *injection.pii_in_assistant(rng, "Done.", persona, planted))
        )
        cases.append(
            ("feedback_comment", *injection.pii_in_feedback(rng, "looks good", persona))
        )
        cases.append(
            ("build_error_message", *injection.pii_in_build_error(rng, "Build failed", persona))
        )
        _, lines, planted = injection.pii_patch_lines(rng, persona)
        cases.append(("code_patch", "\n".join(f"+{line}" for line in lines), planted))
        cases.append(("prompt_text", *injection.secret_in_prompt(rng, "deploy it")))
        cases.append(
            ("build_error_message", *injection.secret_in_build_error(rng, "Build failed"))
        )
        _, lines, planted = injection.secret_patch_lines(rng)
        cases.append(("code_patch", "\n".join(f"+{line}" for line in lines), planted))
    leaks = []
    for field, policy in DEFAULT_FIELD_POLICIES.items():
        subset = [c for c in cases if c[0] == field]
        for (_, _, planted), result in zip(
            subset, scrubber.scrub([c[1] for c in subset], policy), strict=True
        ):
            leaks += [
                (field, entity)
                for entity, value in planted
                if result.text is None or value in result.text
            ]
    assert not leaks, leaks


@pytest.mark.parametrize(
    "text",
    [
        "a." * 50_000 + "@x",  # quadratic backtracking bait for e-mail regexes
        "1 " * 50_000,  # digit soup: phone matchers
        "1-" * 50_000,
        "ab:" * 30_000,  # IPv6 look-alike
        "password=" * 10_000,
        "-----BEGIN PRIVATE KEY-----" * 3_000,
        "M" * 100_000,
    ],
    ids=["dots-at", "digits", "dashes", "colons", "assignments", "pem-begins", "one-letter"],
)
def test_pathological_input_stays_fast(scrubber: Scrubber, text: str) -> None:
    import time

    started = time.perf_counter()
    (result,) = scrubber.scrub([text], "code")
    assert not result.quarantined
    assert time.perf_counter() - started < 10


def test_a_pasted_table_of_people_leaves_nothing(scrubber: Scrubber) -> None:
    personal_data = pytest.importorskip("pipelines.simulator.personal_data")
    rng = random.Random(5)
    rows = []
    for _ in range(300):
        name = personal_data.person_name(rng)
        rows.append([name, personal_data.email_for(rng, name), personal_data.phone_number(rng),
                     personal_data.street_address(rng)])  # fmt: skip
    text = "\n".join(",".join(row) for row in rows)
    for policy in ("code", "natural_language"):
        (result,) = scrubber.scrub([text], policy)
        assert not [v for row in rows for v in row if v in result.text], policy


def test_scrubbed_output_rescans_clean(scrubber: Scrubber, prompts: list[str]) -> None:
    """The dataset gate re-scans scrubbed text with this scrubber: it must find nothing."""
    from pipelines.privacy.evaluate import load_pii_dataset

    from .conftest import PII_DATASET, shared

    rows = [r.text for r in load_pii_dataset(shared(PII_DATASET))]
    texts = (
        rows + prompts[:150] + [f"{p}\n\n{r}" for p, r in zip(prompts[150:250], rows, strict=False)]
    )
    # Long texts with personal data between prompts: a scrub's later rounds read only windows
    # around its replacements (scrubber._changed_windows), so these check that the rest stays clean.
    long_prompts = [p for p in prompts if 700 < len(p) < 1_500][:40]
    texts += [f"{long_prompts[2 * i]}\n\n{row}\n\n{long_prompts[2 * i + 1]}" for i, row in enumerate(rows[:20])]
    for policy in ("natural_language", "code"):
        once = scrubber.scrub(texts, policy)
        with scrubber.rescanner() as fresh:  # reads every text and line afresh
            again = fresh.scrub([r.text for r in once], policy)
        assert [r.findings for r in again if r.findings] == [], policy
        # A verified output is its own scrub, as the lake's cache records it; nearly every changed
        # text is verified, long ones (whose later rounds read windows) among them.
        changed = [(r, a) for t, r, a in zip(texts, once, again, strict=True) if r.text not in (None, t)]
        verified = [(r, a) for r, a in changed if r.output_verified]
        assert [a for _, a in verified] == [ScrubResult(r.text) for r, _ in verified], policy
        assert len(verified) >= 0.95 * len(changed) > 50, policy
        assert sum(len(r.text) > 1_200 for r, _ in verified) > 5, policy  # type: ignore[arg-type]
        assert not any(r.output_verified for t, r in zip(texts, once, strict=True) if r.text == t)


def test_a_verified_output_is_kept_as_its_own_scrub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The training sets' re-scan reads scrubbed texts: with ``keeps_verified_outputs`` (the
    lake's scrubber) a changed text's output is in the cache as unchanged once the scrub read it
    again and found nothing more, and only then."""
    texts = ["write to ana.lopez@gmail.com or call +1 415 555 0134", "fix the navbar"]
    with Scrubber(KEY, cache_dir=tmp_path / "lake", cached_policies=LAKE_CACHED_POLICIES,
                  keeps_verified_outputs=True) as lake:  # fmt: skip
        scrubbed, untouched = lake.scrub(texts, "code")
    assert scrubbed.output_verified and scrubbed.findings == {"EMAIL_ADDRESS": 1, "PHONE_NUMBER": 1}
    assert not untouched.output_verified and untouched.text == texts[1]
    with Scrubber(KEY, fallback_cache_dirs=[tmp_path / "lake"]) as rescan:
        assert rescan.scrub([scrubbed.text], "code") == [ScrubResult(scrubbed.text)]
        assert (rescan.stats.cache_hits, rescan.stats.scrubbed) == (1, 0)
        rescan.scrub([scrubbed.text], "natural_language")
        assert rescan.stats.scrubbed == 1  # the policy is in the key
    with Scrubber(KEY) as uncached:  # and it is what a scrub of the output gives
        assert uncached.scrub([scrubbed.text], "code") == [ScrubResult(scrubbed.text)]
    # by default (the re-scan's own cache) no output is recorded
    with Scrubber(KEY, cache_dir=tmp_path / "default") as default:
        default.scrub(texts[:1], "code")
        assert len(default.cache) == 1
    # an output that a fresh scrub would quarantine (placeholders made it too long) is not verified
    with Scrubber(KEY, cache_dir=tmp_path / "short", max_chars=len(texts[0]) + 2,
                  keeps_verified_outputs=True) as short:  # fmt: skip
        (result,) = short.scrub(texts[:1], "code")
        assert len(result.text) > len(texts[0]) + 2 and not result.output_verified  # type: ignore[arg-type]
        assert len(short.cache) == 1
    # an output still changing in the last round is not verified, so not kept
    monkeypatch.setattr(scrubber_module, "MAX_SCRUB_ROUNDS", 1)
    with Scrubber(KEY, cache_dir=tmp_path / "one-round", keeps_verified_outputs=True) as one_round:
        (result,) = one_round.scrub(texts[:1], "code")
        assert result.text == scrubbed.text and not result.output_verified
        assert len(one_round.cache) == 1  # the input's entry only
        one_round.scrub([result.text], "code")
        assert one_round.stats.scrubbed == 2


def test_a_verified_output_never_stands_over_a_computed_result(tmp_path: Path) -> None:
    """Were a verification ever wrong, the result with findings wins: ``put_verified`` writes
    nothing over an entry, and a scrubbed row wins over an unchanged one of the same key."""
    cache = ScrubCache(tmp_path, KEY)
    leaked = "mail ana@x.io"
    found = ScrubResult("mail <EMAIL_ADDRESS_000000>", {"EMAIL_ADDRESS": 1})
    cache.put_many(CODE, [(leaked, found)])
    assert cache.put_verified(CODE, [leaked]) == 0
    assert cache.get_many(CODE, [leaked]) == {leaked: found}
    other = "call +1 415 555 0134"
    assert cache.put_verified(CODE, [other, other]) == 1
    cache.put_many(CODE, [(other, ScrubResult("call <PHONE_NUMBER_000000>", {"PHONE_NUMBER": 1}))])
    assert cache.get_many(CODE, [other])[other].findings == {"PHONE_NUMBER": 1}
    cache.close()
