"""Assemble a version's examples in DuckDB and write its files, deterministically and out of core.

The steps, each one SQL statement over the canonical source views (``sources.py``) into a scratch
database on disk (it spills beyond the memory limit):

1. ``prompts`` / ``answers``: every scrubbed prompt and answer (prose, then the code change as a
   diff block), each normalised, hashed, measured in tokens and language-tagged once.
2. ``gens``: every generation with its label, score, consent and split (a salted hash of the session).
3. ``candidates``: every example the signals allow, WITHOUT text: an SFT example per success, an
   unpaired (KTO) example per success or failure, a preference pair per (success, failure) of one
   turn. Consent and thresholds are decided here, so a user without consent is never even read.
4. ``contexts``: for each open turn, the ids of up to ``context_turns`` earlier turns of the session
   (each prompt with the answer its turn ended with), with their tokens, hashes and languages.
5. ``screened``: text present, token bounds, languages, at most ``max_pairs_per_turn`` pairs; all
   from the per-text values, no message list is built yet.
6. ``docs`` / ``bands``: MinHash LSH bands of each example's final exchange (``minhash.py``).
7. ``overlap``: train and validation examples that overlap the test split (same normalised input,
   same whole example, or a near-duplicate final exchange) are dropped: test is the held-out set.
8. ``exact_dups`` / ``near_dups``: within a kind, the first of each group of exact duplicates
   (normalised whole example) and of near-duplicates stays, in the order test, validation,
   train, then example id.
9. ``fates``: every candidate with the reason it was left out (NULL: kept), for the manifest, the
   lineage file and ``diff``; ``kept``: the examples to write.

``write_files`` then spreads the kept examples, and every text they name, over buckets by example
id, puts each bucket's messages together in memory and writes them in example-id order with fixed
row groups, so the same inputs give the same bytes.

Memory: the joins that gather texts stream the texts past a hash table of ids (``narrow_build_sides``:
by rows, DuckDB would often build on the texts, fewer rows than the ids naming them but far more
bytes); while DuckDB only streams to Python (the MinHash, the writing of each bucket, the gates)
its memory limit is lowered, which makes it give its cache back.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipelines.datasets import ids, text
from pipelines.datasets.config import KINDS, SPLITS, BuildOptions, DatasetConfig
from pipelines.datasets.formats import (
    LINEAGE_PATH,
    LINEAGE_SCHEMA,
    OPENAI_LINE,
    SCHEMAS,
    openai_path,
    parquet_path,
)
from pipelines.datasets.minhash import LshParams, MinHasher, lsh_params
from pipelines.datasets.sources import SourceSummary, attach
from pipelines.settings import FlywheelPaths
from pipelines.worker_pools import can_start_workers, default_start_method, worker_context

PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "2.0",
}
# Why an example was left out, in the order the rules apply.
REASONS = (
    "consent", "threshold", "failure_kind", "missing_text", "too_short", "too_long", "language",
    "pair_cap", "overlaps_eval", "exact_duplicate", "near_duplicate",
)
# Reasons that depend only on the configuration's filters (a changed filter can flip them).
FILTER_REASONS = frozenset({"threshold", "failure_kind", "too_short", "too_long", "language", "pair_cap"})
DEDUP_REASONS = frozenset({"overlaps_eval", "exact_duplicate", "near_duplicate"})

_MESSAGE_LIST = "STRUCT(role VARCHAR, content VARCHAR)[]"
# Rows per Parquet row group: part of the bytes, so a constant (not a build option).
ROW_GROUP_ROWS = 10_000


@dataclass
class FileStat:
    path: str
    rows: int
    num_bytes: int  # uncompressed size (Parquet metadata): the card's dataset_info num_bytes


@dataclass
class Assembly:
    """What the build made, before any gate: counts per kind, split and reason, and the files."""

    sources: SourceSummary
    lsh: LshParams
    candidates: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, dict[str, int]] = field(default_factory=dict)
    kept: dict[str, dict[str, int]] = field(default_factory=dict)
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, FileStat] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, for benchmarks

    def total_kept(self, kind: str) -> int:
        return sum(self.kept.get(kind, {}).values())


def connect(work_dir: Path, options: BuildOptions, key: bytes) -> duckdb.DuckDBPyConnection:
    """A scratch DuckDB database in ``work_dir`` that spills beyond ``memory_limit``, with our macros.

    On disk rather than in memory: the buffer manager can then evict any table block, so memory
    stays under the limit whatever the input size (an in-memory database ran out at a million
    interactions). It holds scrubbed text only and is deleted with the work directory; the
    key-derived macros are TEMP, kept in memory, never in the file.
    """
    spill = work_dir / "spill"
    spill.mkdir(parents=True, exist_ok=True)
    config: dict[str, Any] = {
        "memory_limit": options.memory_limit,
        "temp_directory": str(spill),
        "preserve_insertion_order": False,
    }
    if options.threads:
        config["threads"] = options.threads
    con = duckdb.connect(str(work_dir / "build.duckdb"), config=config)
    con.execute("SET enable_progress_bar = false")
    for statement in text.sql_macros() + ids.sql_macros(key):
        con.execute(statement)
    con.create_function(
        "fw_language", text.detect_language_arrow, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
        type="arrow", null_handling="special",
    )
    return con


def _sql_list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::VARCHAR[]"


def _split_sql(config: DatasetConfig) -> str:
    test, validation = config.test_fraction, config.validation_fraction
    return (
        f"CASE WHEN split_point < {test!r} THEN 'test' "
        f"WHEN split_point < {test + validation!r} THEN 'validation' ELSE 'train' END"
    )


def _system_parts(config: DatasetConfig) -> tuple[str, str, int]:
    """The system message as SQL (list), its key part and its tokens (all empty without one)."""
    if not config.system_prompt:
        return f"[]::{_MESSAGE_LIST}", "''", 0
    literal = "'" + config.system_prompt.replace("'", "''") + "'"
    tokens = text.estimate_tokens(config.system_prompt) + text.TOKENS_PER_MESSAGE
    return (f"[{{'role': 'system', 'content': {literal}}}]::{_MESSAGE_LIST}",
            f"'s' || fw_text_hash({literal})", tokens)


def assemble(con: duckdb.DuckDBPyConnection, paths: FlywheelPaths, config: DatasetConfig,
             options: BuildOptions, work_dir: Path) -> Assembly:
    """Steps 1-8 above, leaving the ``kept`` table (and what the gates need) on ``con``.

    Every text is normalised, hashed, measured and language-tagged once (``prompts``,
    ``answers``); the decisions about an example use only those per-text values, and its message
    lists are put together only when it is written (``write_files``), for kept examples only.
    """
    sources = attach(con, paths)
    st, ft = repr(config.success_threshold), repr(config.failure_threshold)
    unit = "session_id" if config.split_unit == "session" else "workspace_id"
    _, system_key, system_tokens = _system_parts(config)
    per_message = text.TOKENS_PER_MESSAGE
    statements: list[tuple[str, dict[str, Any]]] = [
        ("""CREATE TABLE prompts AS
            SELECT event_id AS prompt_id, session_id, turn_id, turn_index, occurred_at, prompt_text,
                   fw_language(prompt_text) AS language, fw_tokens(prompt_text) AS tokens,
                   fw_text_hash(prompt_text) AS text_hash
            FROM src_texts
            WHERE event_type = 'prompt.submitted' AND coalesce(prompt_text, '') <> ''""", {}),
        ("""CREATE TABLE turn_prompts AS
            SELECT * FROM prompts
            QUALIFY row_number() OVER (PARTITION BY session_id, turn_id ORDER BY occurred_at, prompt_id) = 1""", {}),
        ("""CREATE TABLE answers AS
            SELECT generation_id, answer, fw_tokens(answer) AS tokens, fw_text_hash(answer) AS text_hash
            FROM (SELECT event_id AS generation_id, fw_answer(assistant_text, code_patch) AS answer
                  FROM src_texts WHERE event_type = 'generation.completed')
            WHERE answer IS NOT NULL""", {}),
        (f"""CREATE TABLE gens AS
            SELECT g.*, coalesce(u.consent_ok, false) AS consent_ok, {_split_sql(config)} AS split
            FROM (SELECT *, fw_split_point($salt, {unit}) AS split_point FROM src_generations) AS g
            LEFT JOIN src_users AS u USING (user_id)""", {"salt": config.split_salt}),
        (f"""CREATE TABLE candidates AS
            WITH positive AS (SELECT * FROM gens WHERE label = 'success'),
                 negative AS (SELECT * FROM gens WHERE label = 'failure')
            SELECT 'sft' AS kind, fw_id('sft', generation_id) AS example_id, split, session_id,
                   turn_id, turn_index, prompt_id, intent,
                   generation_id AS chosen_id, model AS chosen_model, success_score AS chosen_score,
                   NULL::VARCHAR AS rejected_id, NULL::VARCHAR AS rejected_model,
                   NULL::DOUBLE AS rejected_score, NULL::VARCHAR AS rejected_because,
                   NULL::BOOLEAN AS label,
                   CASE WHEN NOT consent_ok THEN 'consent'
                        WHEN success_score < {st} THEN 'threshold' END AS reason
            FROM positive
            UNION ALL
            SELECT 'unpaired', fw_id('unpaired', generation_id), split, session_id, turn_id,
                   turn_index, prompt_id, intent, generation_id, model, success_score,
                   NULL, NULL, NULL, failure_reason, label = 'success',
                   CASE WHEN NOT consent_ok THEN 'consent'
                        WHEN label = 'success' AND success_score < {st} THEN 'threshold'
                        WHEN label = 'failure' AND success_score > {ft} THEN 'threshold' END
            FROM gens WHERE label IN ('success', 'failure')
            UNION ALL
            SELECT 'preference', fw_id('preference', p.generation_id || chr(31) || n.generation_id),
                   p.split, p.session_id, p.turn_id, p.turn_index, p.prompt_id, p.intent,
                   p.generation_id, p.model, p.success_score,
                   n.generation_id, n.model, n.success_score, n.failure_reason, NULL,
                   CASE WHEN NOT (p.consent_ok AND n.consent_ok) THEN 'consent'
                        WHEN p.success_score < {st} OR n.success_score > {ft} THEN 'threshold'
                        WHEN NOT list_contains({_sql_list(config.pair_failure_reasons)},
                                               coalesce(n.failure_reason, '')) THEN 'failure_kind' END
            FROM positive AS p
            JOIN negative AS n ON n.session_id = p.session_id AND n.turn_id = p.turn_id""", {}),
        ("""CREATE TABLE turn_final AS
            SELECT g.session_id, g.turn_id, a.generation_id, a.tokens, a.text_hash
            FROM gens AS g JOIN answers AS a USING (generation_id)
            QUALIFY row_number() OVER (
                PARTITION BY g.session_id, g.turn_id ORDER BY g.gen_seq DESC, g.generation_id DESC) = 1""", {}),
        ("""CREATE TABLE open_candidates AS
            SELECT c.* EXCLUDE (reason) REPLACE (coalesce(p.prompt_id, tp.prompt_id) AS prompt_id,
                                                 coalesce(c.turn_index, p.turn_index, tp.turn_index) AS turn_index)
            FROM candidates AS c
            LEFT JOIN prompts AS p ON p.prompt_id = c.prompt_id
            LEFT JOIN turn_prompts AS tp ON tp.session_id = c.session_id AND tp.turn_id = c.turn_id
            WHERE c.reason IS NULL""", {}),
        # The context of each turn that has an open candidate: its earlier turns, by id, with what
        # the decisions need (tokens, the duplicate-key string, languages); the text comes at writing.
        (f"""CREATE TABLE contexts AS
            WITH open_turns AS (
                SELECT DISTINCT session_id, turn_id, turn_index FROM open_candidates)
            SELECT o.session_id, o.turn_id,
                   list({{'prompt_id': tp.prompt_id, 'generation_id': f.generation_id}} ORDER BY tp.turn_index)
                       AS turns,
                   list(tp.language ORDER BY tp.turn_index) AS languages,
                   sum(tp.tokens + f.tokens + {2 * per_message})::BIGINT AS tokens,
                   string_agg('u' || tp.text_hash || 'a' || f.text_hash, '' ORDER BY tp.turn_index) AS key_string,
                   count(*)::INTEGER AS turn_count
            FROM open_turns AS o
            JOIN turn_prompts AS tp ON tp.session_id = o.session_id
                AND tp.turn_index < o.turn_index AND tp.turn_index >= o.turn_index - {config.context_turns}
            JOIN turn_final AS f ON f.session_id = tp.session_id AND f.turn_id = tp.turn_id
            GROUP BY o.session_id, o.turn_id""", {}),
        (f"""CREATE TABLE screened AS
            WITH joined AS (
                SELECT c.*,
                       p.prompt_id IS NULL OR ca.generation_id IS NULL
                           OR (c.kind = 'preference' AND ra.generation_id IS NULL) AS missing_text,
                       {system_tokens} + coalesce(x.tokens, 0) + p.tokens + {per_message}
                           + {text.TOKENS_PER_REPLY} AS prompt_tokens,
                       ca.tokens + {per_message} AS chosen_tokens,
                       ra.tokens + {per_message} AS rejected_tokens,
                       {system_key} || coalesce(x.key_string, '') || 'u' || p.text_hash AS input_string,
                       ca.text_hash AS chosen_hash, ra.text_hash AS rejected_hash,
                       list_concat(coalesce(x.languages, []::VARCHAR[]), [p.language]) AS languages,
                       coalesce(x.turn_count, 0)::INTEGER AS context_turns
                FROM open_candidates AS c
                LEFT JOIN prompts AS p ON p.prompt_id = c.prompt_id
                LEFT JOIN contexts AS x ON x.session_id = c.session_id AND x.turn_id = c.turn_id
                LEFT JOIN answers AS ca ON ca.generation_id = c.chosen_id
                LEFT JOIN answers AS ra ON ra.generation_id = c.rejected_id),
            measured AS (
                SELECT *,
                       CAST(prompt_tokens + greatest(chosen_tokens, coalesce(rejected_tokens, 0)) AS BIGINT) AS num_tokens,
                       coalesce(list_filter(list_reverse(languages), lambda l: l <> 'und')[1], 'und') AS language,
                       list_filter(languages, lambda l: l <> 'und') AS known_languages
                FROM joined),
            rules AS (
                SELECT *, CASE
                    WHEN missing_text THEN 'missing_text'
                    WHEN num_tokens < {config.min_tokens} THEN 'too_short'
                    WHEN num_tokens > {config.max_tokens} THEN 'too_long'
                    WHEN len(known_languages) = 0 AND NOT {str(config.keep_undetermined_language).upper()}
                        THEN 'language'
                    WHEN len(list_filter(known_languages,
                             lambda l: NOT list_contains({_sql_list(config.languages)}, l))) > 0
                        THEN 'language'
                    END AS rule_reason
                FROM measured)
            SELECT * EXCLUDE (rule_reason, languages, known_languages), CASE
                WHEN rule_reason IS NULL AND kind = 'preference' AND row_number() OVER (
                    PARTITION BY kind, session_id, turn_id, rule_reason IS NULL
                    ORDER BY chosen_score - rejected_score DESC, example_id) > {config.max_pairs_per_turn}
                THEN 'pair_cap' ELSE rule_reason END AS reason
            FROM rules""", {}),
        ("""CREATE TABLE keyed AS
            SELECT kind, example_id, split,
                   CASE split WHEN 'test' THEN 0 WHEN 'validation' THEN 1 ELSE 2 END AS split_rank,
                   md5(input_string) AS input_key,
                   md5(input_string || 'a' || chosen_hash || coalesce('a' || rejected_hash, '')) AS exact_key,
                   CASE WHEN kind = 'preference' THEN 'p:' || example_id ELSE 'g:' || chosen_id END AS doc_key
            FROM screened WHERE reason IS NULL""", {}),
        ("""CREATE TABLE docs AS
            SELECT row_number() OVER (ORDER BY doc_key) AS doc_no, *
            FROM (SELECT DISTINCT ON (doc_key)
                      CASE WHEN kind = 'preference' THEN 'p:' || example_id ELSE 'g:' || chosen_id END AS doc_key,
                      prompt_id, chosen_id, rejected_id
                  FROM screened WHERE reason IS NULL)""", {}),
    ]
    timings: dict[str, float] = {}
    for sql, params in statements:
        _timed(con, timings, sql, params)
    params = lsh_params(config.near_duplicate_threshold, config.minhash_num_perm, config.shingle_words)
    started = time.perf_counter()
    _band_hashes(con, params, options, work_dir)
    timings["minhash"] = round(time.perf_counter() - started, 3)
    for sql in _dedup_statements():
        _timed(con, timings, sql)
    assembly = Assembly(sources=sources, lsh=params, timings=timings)
    _count(con, assembly)
    return assembly


def _timed(con: duckdb.DuckDBPyConnection, timings: dict[str, float], sql: str,
           params: dict[str, Any] | None = None) -> None:
    """Run one CREATE TABLE statement and record its seconds under the table's name."""
    started = time.perf_counter()
    con.execute(sql, params or None)
    match = re.match(r"\s*CREATE TABLE (\w+)", sql)
    timings[match.group(1) if match else sql.split()[0]] = round(time.perf_counter() - started, 3)


_BAND_SCHEMA = pa.schema([("doc_no", pa.int64()), ("band", pa.int16()), ("band_hash", pa.int64())])
# Below this many documents, worker processes cost more to start than they save.
PARALLEL_MINHASH_DOCS = 50_000
# Documents per batch sent to a MinHash worker: each batch is held in the parent (in flight, two per
# worker) and, as Python strings and shingles, in a worker. A million interactions' documents
# average 3.5 kB: with 20,000-document batches the build peaked at 3,994 MB (in the MinHash), with
# 5,000 at 2,847 MB (docs/benchmarks.md, run D).
MINHASH_BATCH_ROWS = 5_000
_HASHERS: dict[LshParams, MinHasher] = {}


def band_rows(params: LshParams, batch: pa.RecordBatch) -> pa.Table:
    """The band hashes of a batch of (doc_no, prompt, chosen, rejected): one row per band.

    The document is the final exchange: the prompt and the answer(s). Shingles split on
    whitespace, so folding (NFC, lower case) gives the same words as the full normalisation.
    Runs in worker processes for large builds (hence a module-level function and a cached hasher).
    """
    hasher = _HASHERS.get(params) or _HASHERS.setdefault(params, MinHasher(params))
    doc_no = batch.column(0).to_numpy()
    exchanges = [
        text.fold(f"{prompt} {chosen}" if rejected is None else f"{prompt} {chosen} {rejected}")
        for prompt, chosen, rejected in zip(*(batch.column(i).to_pylist() for i in (1, 2, 3)), strict=True)
    ]
    hashes = hasher.band_hashes(hasher.signatures(exchanges))
    bands = hashes.shape[1]
    return pa.table({
        "doc_no": pa.array(doc_no.repeat(bands)),
        "band": pa.array(np.tile(np.arange(bands, dtype=np.int16), len(doc_no))),
        "band_hash": pa.array(hashes.reshape(-1)),
    }, schema=_BAND_SCHEMA)


def _band_hashes(con: duckdb.DuckDBPyConnection, params: LshParams, options: BuildOptions, work_dir: Path) -> None:
    """MinHash every document, a batch at a time, into the ``bands`` table (via a Parquet file).

    DuckDB only streams here, so on a large build the hashing runs in one worker process per core,
    with at most two batches per worker in flight (memory stays bounded). Row order in the file
    does not matter: every later step reads it through joins and ordered windows.
    """
    band_file = work_dir / "bands.parquet"
    # Every document's texts, joined into a table then streamed from a plain scan (a stream out of
    # the joins would keep their blocks pinned). The answers are the probe side of every join (the
    # largest texts by far); the build sides hold the documents' ids and prompts, or the few
    # rejected answers (preference pairs only).
    with narrow_build_sides(con):
        con.execute("""
            CREATE OR REPLACE TABLE doc_rejected AS
            SELECT d.doc_no, r.answer AS rejected
            FROM answers AS r JOIN (SELECT doc_no, rejected_id FROM docs WHERE rejected_id IS NOT NULL) AS d
                ON d.rejected_id = r.generation_id""")
        con.execute("""
            CREATE OR REPLACE TABLE doc_texts AS
            SELECT d.doc_no, d.prompt_text, c.answer AS chosen, x.rejected
            FROM answers AS c
            JOIN (SELECT doc_no, chosen_id, prompt_text FROM docs JOIN prompts USING (prompt_id)) AS d
                ON d.chosen_id = c.generation_id
            LEFT JOIN doc_rejected AS x USING (doc_no)""")
    con.execute("DROP TABLE doc_rejected")
    [(documents,)] = con.execute("SELECT count(*) FROM doc_texts").fetchall()

    limit_memory(con, options.streaming_memory_limit)  # a plain scan from here: give the cache back
    reader = con.sql("SELECT * FROM doc_texts").to_arrow_reader(min(options.batch_rows, MINHASH_BATCH_ROWS))
    try:
        _hash_to_file(band_file, params, options, documents, reader)
    finally:
        # a hashing error left the scan open: close it, or the DROP fails and hides that error
        reader.close()
        con.execute("DROP TABLE doc_texts")
        limit_memory(con, options.memory_limit)
    con.execute(f"CREATE TABLE bands AS SELECT * FROM read_parquet('{band_file}')")


def _hash_to_file(band_file: Path, params: LshParams, options: BuildOptions, documents: int,
                  batches: pa.RecordBatchReader) -> None:
    workers = options.threads or os.cpu_count() or 1
    with pq.ParquetWriter(band_file, _BAND_SCHEMA, compression="zstd") as writer:
        if workers < 2 or documents < PARALLEL_MINHASH_DOCS or not can_start_workers():
            for batch in batches:
                writer.write_table(band_rows(params, batch))
        else:
            # never a fork of this process, which holds DuckDB; the server holds this module
            context = worker_context(default_start_method(), (__name__,))
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                pending: set[Future[pa.Table]] = set()
                for batch in batches:
                    pending.add(pool.submit(band_rows, params, batch))
                    if len(pending) >= 2 * workers:
                        done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            writer.write_table(future.result())
                for future in pending:
                    writer.write_table(future.result())


def _dedup_statements() -> list[str]:
    return [
        """CREATE TABLE keyed_docs AS SELECT k.*, d.doc_no FROM keyed AS k JOIN docs AS d USING (doc_key)""",
        """CREATE TABLE overlap AS
            WITH test AS (SELECT * FROM keyed_docs WHERE split = 'test'),
                 test_bands AS (SELECT DISTINCT band, band_hash FROM bands SEMI JOIN test USING (doc_no)),
                 near AS (SELECT DISTINCT doc_no FROM bands SEMI JOIN test_bands USING (band, band_hash)
                          ANTI JOIN test USING (doc_no))
            SELECT kind, example_id FROM keyed_docs
            WHERE split <> 'test' AND (
                input_key IN (SELECT input_key FROM test)
                OR exact_key IN (SELECT exact_key FROM test)
                OR doc_no IN (SELECT doc_no FROM near))""",
        """CREATE TABLE exact_dups AS
            SELECT kind, example_id FROM (
                SELECT kind, example_id, row_number() OVER (
                    PARTITION BY kind, exact_key ORDER BY split_rank, example_id) AS copy_number
                FROM keyed_docs ANTI JOIN overlap USING (kind, example_id))
            WHERE copy_number > 1""",
        """CREATE TABLE near_dups AS
            WITH live AS (
                SELECT kind, example_id, split_rank::VARCHAR || ':' || example_id AS rank_key, doc_no
                FROM keyed_docs ANTI JOIN overlap USING (kind, example_id)
                ANTI JOIN exact_dups USING (kind, example_id)),
            banded AS (
                SELECT l.kind, l.example_id, l.rank_key,
                       min(l.rank_key) OVER (PARTITION BY l.kind, b.band, b.band_hash) AS first_key
                FROM live AS l JOIN bands AS b USING (doc_no))
            SELECT DISTINCT kind, example_id FROM banded WHERE first_key < rank_key""",
        """CREATE TABLE fates AS
            SELECT c.kind, c.example_id, c.split, coalesce(
                c.reason, s.reason,
                CASE WHEN o.example_id IS NOT NULL THEN 'overlaps_eval'
                     WHEN e.example_id IS NOT NULL THEN 'exact_duplicate'
                     WHEN n.example_id IS NOT NULL THEN 'near_duplicate' END) AS reason
            FROM candidates AS c
            LEFT JOIN screened AS s USING (kind, example_id)
            LEFT JOIN overlap AS o USING (kind, example_id)
            LEFT JOIN exact_dups AS e USING (kind, example_id)
            LEFT JOIN near_dups AS n USING (kind, example_id)""",
        """CREATE TABLE kept AS
            SELECT s.* EXCLUDE (input_string, chosen_hash, rejected_hash), k.doc_no
            FROM screened AS s
            JOIN fates AS f USING (kind, example_id)
            JOIN keyed_docs AS k USING (kind, example_id)
            WHERE f.reason IS NULL""",
    ]


def _count(con: duckdb.DuckDBPyConnection, assembly: Assembly) -> None:
    for kind, reason, split, n in con.execute(
        "SELECT kind, reason, split, count(*) FROM fates GROUP BY ALL ORDER BY ALL"
    ).fetchall():
        assembly.candidates[kind] = assembly.candidates.get(kind, 0) + n
        if reason is None:
            assembly.kept.setdefault(kind, {})[split] = n
        else:
            by_reason = assembly.excluded.setdefault(kind, {})
            by_reason[reason] = by_reason.get(reason, 0) + n
    for kind in KINDS:
        assembly.candidates.setdefault(kind, 0)
        assembly.kept[kind] = {s: assembly.kept.get(kind, {}).get(s, 0) for s in SPLITS}
        assembly.excluded[kind] = {r: assembly.excluded.get(kind, {}).get(r, 0) for r in REASONS
                                   if assembly.excluded.get(kind, {}).get(r)}
        row = con.execute(
            """SELECT count(*), quantile_disc(num_tokens, 0.5), quantile_disc(num_tokens, 0.95),
                      max(num_tokens), avg(context_turns)
               FROM kept WHERE kind = ?""", [kind]).fetchone()
        assert row is not None
        languages = dict(con.execute(
            "SELECT language, count(*) FROM kept WHERE kind = ? GROUP BY ALL ORDER BY ALL", [kind]).fetchall())
        intents = dict(con.execute(
            "SELECT coalesce(intent, 'unknown'), count(*) FROM kept WHERE kind = ? GROUP BY ALL ORDER BY ALL",
            [kind]).fetchall())
        assembly.stats[kind] = {
            "estimated_tokens": {"p50": row[1], "p95": row[2], "max": row[3]},
            "mean_context_turns": round(row[4], 3) if row[4] is not None else None,
            "languages": languages,
            "intents": intents,
        }


# --- writing the files --------------------------------------------------------------------------

_METADATA = {
    "sft": """k.example_id, fw_id('generation', k.chosen_id) AS generation_ref,
              fw_id('conversation', k.session_id) AS conversation_ref, k.turn_index::INTEGER AS turn_index,
              k.context_turns, k.intent, k.chosen_model AS model, k.chosen_score AS success_score,
              k.language, k.num_tokens""",
    "preference": """k.example_id, fw_id('generation', k.chosen_id) AS chosen_generation_ref,
              fw_id('generation', k.rejected_id) AS rejected_generation_ref,
              fw_id('conversation', k.session_id) AS conversation_ref, k.turn_index::INTEGER AS turn_index,
              k.context_turns, k.intent, k.chosen_model, k.rejected_model, k.chosen_score, k.rejected_score,
              k.rejected_because, k.language, k.num_tokens""",
    "unpaired": """k.example_id, fw_id('generation', k.chosen_id) AS generation_ref,
              fw_id('conversation', k.session_id) AS conversation_ref, k.turn_index::INTEGER AS turn_index,
              k.context_turns, k.intent, k.chosen_model AS model, k.chosen_score AS success_score,
              k.language, k.num_tokens""",
}
_ANSWERS = {
    "sft": "[{'role': 'assistant', 'content': ca.answer}] AS completion",
    "preference": "[{'role': 'assistant', 'content': ca.answer}] AS chosen, "
                  "[{'role': 'assistant', 'content': ra.answer}] AS rejected",
    "unpaired": "[{'role': 'assistant', 'content': ca.answer}] AS completion, k.label",
}


def output_sql(kind: str, config: DatasetConfig) -> str:
    """The rows of one kind in one bucket (every split, with a ``split`` column), messages put
    together, in example-id order.

    Reads the bucket's tables (``write_files``): ``bucket_rows`` (its kept examples, each with the
    ids of its context's turns), ``bucket_prompts`` and ``bucket_answers`` (every text they name).
    A bucket holds about ``WRITE_BUCKET_BYTES`` of text, so these joins and the sort run in memory.
    """
    system, _, _ = _system_parts(config)
    context_joins = "".join(
        f"""
        LEFT JOIN bucket_prompts AS cp{i} ON cp{i}.prompt_id = k.turns[{i}].prompt_id
        LEFT JOIN bucket_answers AS ca{i} ON ca{i}.generation_id = k.turns[{i}].generation_id"""
        for i in range(1, config.context_turns + 1)
    )
    context_parts = "".join(
        f""",
            CASE WHEN len(k.turns) >= {i} THEN [{{'role': 'user', 'content': cp{i}.prompt_text}},
                {{'role': 'assistant', 'content': ca{i}.answer}}] ELSE []::{_MESSAGE_LIST} END"""
        for i in range(1, config.context_turns + 1)
    )
    return f"""
        SELECT k.split, list_concat({system}{context_parts},
                                    [{{'role': 'user', 'content': p.prompt_text}}]) AS prompt,
               {_ANSWERS[kind]}, {_METADATA[kind]}
        FROM bucket_rows AS k
        JOIN bucket_prompts AS p ON p.prompt_id = k.prompt_id{context_joins}
        JOIN bucket_answers AS ca ON ca.generation_id = k.chosen_id
        LEFT JOIN bucket_answers AS ra ON ra.generation_id = k.rejected_id
        WHERE k.kind = '{kind}'
        ORDER BY k.example_id"""


class _RowGroups:
    """Re-chunks batches into row groups of exactly ``rows`` rows (the last one shorter).

    Row-group boundaries must not depend on how DuckDB happened to batch its output, or on how
    many buckets the rows were sorted in, or the same rows would give different bytes.
    """

    def __init__(self, schema: pa.Schema, rows: int = ROW_GROUP_ROWS) -> None:
        self.schema, self.rows = schema, rows
        self.pending: list[pa.RecordBatch] = []
        self.size = 0

    def add(self, batch: pa.RecordBatch) -> Iterator[pa.Table]:
        self.pending.append(batch.cast(self.schema))
        self.size += batch.num_rows
        while self.size >= self.rows:
            table = pa.Table.from_batches(self.pending, schema=self.schema)
            yield table.slice(0, self.rows).combine_chunks()
            rest = table.slice(self.rows)
            self.pending, self.size = rest.combine_chunks().to_batches(), rest.num_rows

    def finish(self) -> Iterator[pa.Table]:
        if self.size:
            yield pa.Table.from_batches(self.pending, schema=self.schema).combine_chunks()
        self.pending, self.size = [], 0


class _GroupedParquet:
    """A Parquet file written in row groups of ROW_GROUP_ROWS whatever the batches it is given."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.groups = _RowGroups(schema)
        self.writer = pq.ParquetWriter(path, schema, **PARQUET_OPTIONS)
        self.rows = 0

    def add(self, batch: pa.RecordBatch) -> list[pa.Table]:
        """Write the row groups ``batch`` completes; return them."""
        return self._write(self.groups.add(batch))

    def finish(self) -> list[pa.Table]:
        """Write the last, partial row group; return it (the file still needs ``close``)."""
        return self._write(self.groups.finish())

    def close(self) -> None:
        self.writer.close()

    def _write(self, tables: Iterator[pa.Table]) -> list[pa.Table]:
        written = []
        for table in tables:
            self.writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            self.rows += table.num_rows
            written.append(table)
        return written


class _SplitFiles:
    """The Parquet file (and the OpenAI JSONL, if the kind has one) of one kind and split."""

    def __init__(self, version_dir: Path, kind: str, split: str) -> None:
        self.kind, self.split = kind, split
        self.parquet_file = version_dir / parquet_path(kind, split)
        self.parquet_file.parent.mkdir(parents=True, exist_ok=True)
        self.parquet = _GroupedParquet(self.parquet_file, SCHEMAS[kind])
        self.jsonl = None
        if kind in OPENAI_LINE:
            jsonl_file = version_dir / openai_path(kind, split)
            jsonl_file.parent.mkdir(parents=True, exist_ok=True)
            self.jsonl = jsonl_file.open("wb")

    def _write_jsonl(self, tables: list[pa.Table]) -> None:
        if self.jsonl is not None:
            line = OPENAI_LINE[self.kind]
            for table in tables:
                self.jsonl.write(b"".join(line(row) for row in table.to_pylist()))

    def add(self, batch: pa.RecordBatch) -> None:
        self._write_jsonl(self.parquet.add(batch))

    def close(self) -> dict[str, FileStat]:
        try:
            self._write_jsonl(self.parquet.finish())
        finally:
            self.parquet.close()
            if self.jsonl is not None:
                self.jsonl.close()
        rows = self.parquet.rows
        stats = {parquet_path(self.kind, self.split): FileStat(
            parquet_path(self.kind, self.split), rows, uncompressed_bytes(self.parquet_file))}
        if self.jsonl is not None:
            stats[openai_path(self.kind, self.split)] = FileStat(openai_path(self.kind, self.split), rows, 0)
        return stats


def limit_memory(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Set DuckDB's memory limit now; a lower one makes it evict (and give back) what it cached."""
    _memory_bytes(limit)  # a clear error for a malformed size, before DuckDB's
    con.execute(f"SET memory_limit = '{limit.strip()}'")


def _memory_bytes(limit: str) -> float:
    match = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)(i?B)?\s*", limit, re.IGNORECASE)
    if not match:
        raise ValueError(f"memory_limit {limit!r} is not a size like '2GB' or '512MiB'")
    power = " KMGT".index(match.group(2).upper() or " ")
    return float(match.group(1)) * (1024 if match.group(3) and match.group(3).lower() == "ib" else 1000) ** power


# The kept examples are spread over buckets before their messages are put together: by the
# leading 16 bits of the example id (uniform: ids are keyed digests), so every id of a bucket
# sorts before every id of the next, and sorting each bucket on its own, in order, sorts them all.
# As many buckets as make each about WRITE_BUCKET_BYTES of estimated text (assembled in memory);
# a small build is one bucket (each costs a few queries). At most 512, one open scratch file each
# while a stream is spread (within the usual limit of 1,024 open files): about 32 GB of text, some
# four million interactions, before buckets grow beyond their size.
WRITE_BUCKET_BYTES = 64e6
MAX_WRITE_BUCKETS = 512
_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def bucket_count(text_bytes: float) -> int:
    return max(1, min(MAX_WRITE_BUCKETS, math.ceil(text_bytes / WRITE_BUCKET_BYTES)))


def bucket_sql(buckets: int) -> str:
    """SQL for the bucket of ``example_id``: its leading 16 bits scaled to ``buckets`` ordered ranges."""
    return f"(('0x' || substr(example_id, 1, 4))::INTEGER * {buckets}) // 65536"


class _Buckets:
    """Scratch Arrow IPC files (zstd), one per bucket, filled from a stream whose first column is
    the bucket: a batch is ordered by bucket and each run of rows appended to its bucket's file,
    so memory holds one batch whatever the number of rows."""

    def __init__(self, directory: Path, reader: pa.RecordBatchReader) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.schema = reader.schema.remove(0)
        writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        try:
            for batch in reader:
                if batch.num_rows == 0:
                    continue
                batch = batch.take(pc.sort_indices(batch.column(0)))
                values = batch.column(0).to_numpy()
                starts = [0, *(np.flatnonzero(np.diff(values)) + 1).tolist()]
                for start, end in zip(starts, [*starts[1:], len(values)], strict=True):
                    bucket = int(values[start])
                    if bucket not in writers:
                        writers[bucket] = pa.ipc.new_stream(self._path(bucket), self.schema, options=_IPC_OPTIONS)
                    writers[bucket].write_batch(batch.slice(start, end - start).select(list(range(1, batch.num_columns))))
        finally:
            for writer in writers.values():
                writer.close()
        self.buckets = set(writers)

    def _path(self, bucket: int) -> Path:
        return self.directory / f"{bucket:03d}.arrow"

    def take(self, bucket: int) -> pa.Table:
        """The bucket's rows (an empty table if it has none); its file is removed."""
        if bucket not in self.buckets:
            return self.schema.empty_table()
        with pa.ipc.open_stream(self._path(bucket)) as reader:
            rows = reader.read_all()
        self._path(bucket).unlink()
        return rows


def write_tables_sql(buckets: int) -> list[str]:
    """Narrow tables of what each bucket needs: its examples, and the ids of every text they name."""
    bucket = bucket_sql(buckets)
    return [
        f"""CREATE OR REPLACE TABLE write_rows AS
            SELECT {bucket} AS bucket, k.*, x.turns
            FROM kept AS k LEFT JOIN contexts AS x ON x.session_id = k.session_id AND x.turn_id = k.turn_id""",
        """CREATE OR REPLACE TABLE write_text_ids AS
            WITH context AS (SELECT bucket, unnest(turns) AS turn FROM write_rows)
            SELECT DISTINCT bucket, 'a' AS source, chosen_id AS text_id FROM write_rows
            UNION SELECT bucket, 'a', rejected_id FROM write_rows WHERE rejected_id IS NOT NULL
            UNION SELECT bucket, 'a', turn.generation_id FROM context
            UNION SELECT bucket, 'p', prompt_id FROM write_rows
            UNION SELECT bucket, 'p', turn.prompt_id FROM context""",
    ]


@contextmanager
def narrow_build_sides(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Joins as written: the right side of each join is its hash table (the build side).

    DuckDB otherwise builds on the side with fewer estimated rows; the texts are fewer rows than
    the ids that name them but far more bytes, and a hash table of texts is what runs out of memory.
    """
    [(before,)] = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()
    con.execute("SET disabled_optimizers = 'join_order,build_side_probe_side'")
    try:
        yield
    finally:
        con.execute("SET disabled_optimizers = ?", [before or ""])


def _bucketed_texts(con: duckdb.DuckDBPyConnection, source: str, table: str, id_column: str, text_column: str,
                    directory: Path, options: BuildOptions) -> _Buckets:
    """Every text of ``table`` the buckets name (``write_text_ids`` rows of ``source``), copied into
    each bucket that names it: the texts are streamed past the narrow ids (the build side), so no
    join holds texts in memory."""
    with narrow_build_sides(con):
        reader = con.sql(f"""
            SELECT i.bucket, t.{id_column}, t.{text_column}
            FROM {table} AS t
            JOIN (SELECT bucket, text_id FROM write_text_ids WHERE source = '{source}') AS i
                ON i.text_id = t.{id_column}""")
        return _Buckets(directory, reader.to_arrow_reader(options.batch_rows))


def write_files(con: duckdb.DuckDBPyConnection, version_dir: Path, config: DatasetConfig,
                options: BuildOptions, work_dir: Path) -> dict[str, FileStat]:
    """Every data file of the version, written in example-id order.

    The kept examples and the texts they name are spread over buckets by example id (one pass
    over the prompts, one over the answers, each join with only ids on its build side); each
    bucket's messages are then put together and sorted in memory (``output_sql``), under the
    streaming memory limit, and appended to the files.
    """
    [(text_bytes,)] = con.execute(
        "SELECT coalesce(sum(num_tokens), 0) * ? FROM kept", [text.BYTES_PER_TOKEN]).fetchall()
    for sql in write_tables_sql(bucket_count(float(text_bytes))):
        con.execute(sql)
    scratch = work_dir / "buckets"
    rows = _Buckets(scratch / "rows", con.sql("SELECT * FROM write_rows").to_arrow_reader(options.batch_rows))
    prompts = _bucketed_texts(con, "p", "prompts", "prompt_id", "prompt_text", scratch / "prompts", options)
    answers = _bucketed_texts(con, "a", "answers", "generation_id", "answer", scratch / "answers", options)
    con.execute("DROP TABLE write_rows; DROP TABLE write_text_ids")
    # From here DuckDB joins one bucket at a time in memory: the cache of the build can go.
    limit_memory(con, options.streaming_memory_limit)
    files = {(kind, split): _SplitFiles(version_dir, kind, split) for kind in KINDS for split in SPLITS}
    stats: dict[str, FileStat] = {}
    try:
        for bucket in sorted(rows.buckets):
            con.register("bucket_rows", rows.take(bucket))
            con.register("bucket_prompts", prompts.take(bucket))
            con.register("bucket_answers", answers.take(bucket))
            for kind in KINDS:
                assembled = con.sql(output_sql(kind, config)).to_arrow_table()
                for split in SPLITS:
                    in_split = assembled.filter(pc.equal(assembled["split"], split)).drop_columns(["split"])
                    for batch in in_split.to_batches(options.batch_rows):
                        files[kind, split].add(batch)
                del assembled, in_split
    finally:
        for name in ("bucket_rows", "bucket_prompts", "bucket_answers"):
            con.unregister(name)
        for split_files in files.values():
            stats.update(split_files.close())
    lineage = version_dir / LINEAGE_PATH
    lineage.parent.mkdir(parents=True, exist_ok=True)
    reader = con.sql(
        "SELECT kind, example_id, split, reason FROM fates WHERE reason IS NOT NULL ORDER BY kind, example_id"
    ).to_arrow_reader(options.batch_rows)
    lineage_file = _GroupedParquet(lineage, LINEAGE_SCHEMA)
    try:
        for batch in reader:
            lineage_file.add(batch)
        lineage_file.finish()
    finally:
        lineage_file.close()
    stats[LINEAGE_PATH] = FileStat(LINEAGE_PATH, lineage_file.rows, 0)
    return stats


def uncompressed_bytes(path: Path) -> int:
    """The data's uncompressed size from the Parquet footer: a function of the bytes alone."""
    metadata = pq.ParquetFile(path).metadata
    return sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))

