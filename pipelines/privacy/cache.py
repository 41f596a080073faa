"""A persistent cache of scrubbed texts, keyed by a keyed hash of (policy, POLICY_VERSION, text).

Repeated prompts ("fix the build", retries, templates) and reruns of a day cost one lookup. The
cache holds only scrubbed output and counts, never a raw text, and its keys are

    HMAC-SHA256(k_cache, policy_name || 0 || POLICY_VERSION || 0 || text)[:16]
    k_cache = HMAC-SHA256(pseudonym key, b"flywheel/scrub-cache/v1")

so without the key nobody can check whether a guessed raw text was ever scrubbed. A new
POLICY_VERSION (or a new key) simply misses; ``prune`` deletes what an older version left.

Storage is one SQLite file (stdlib, point lookups by primary key, safe for several processes to
share, entries deletable one by one). Deleting the file is always safe: the next run rescrubs.
A result whose output is its input (most texts: nothing to replace) goes to the ``unchanged``
table, which stores no text at all: a code change's entry is ~60 bytes instead of its ~3.4 kB.
The lake's scrubber puts there too each changed text's output that the scrub read again and found
clean (``ScrubResult.output_verified``, ``put_verified``), as its own scrub: the training sets'
re-scan reads scrubbed texts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipelines.privacy.policies import POLICY_VERSION, Policy
from pipelines.privacy.pseudonyms import derive_key
from pipelines.privacy.result import ScrubResult

CACHE_FILE = "scrub-cache.sqlite"
KEY_BYTES = 16
# SQLite's default limit on host parameters in one statement is 32766; stay far below it.
_LOOKUP_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scrubbed (
    key BLOB PRIMARY KEY,
    policy_version TEXT NOT NULL,
    text TEXT NOT NULL,
    findings TEXT NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unchanged (
    key BLOB PRIMARY KEY,
    policy_version TEXT NOT NULL,
    findings TEXT NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
"""
TABLES = ("scrubbed", "unchanged")


class ScrubCache:
    """Scrub results by keyed hash of their input, in ``directory / scrub-cache.sqlite``."""

    def __init__(self, directory: Path, key: bytes, policy_version: str = POLICY_VERSION,
                 read_only: bool = False) -> None:  # fmt: skip
        """``read_only``: open an existing file without ever writing to it (not even its schema:
        another process may be writing it; a file from before the ``unchanged`` table is read
        as it is)."""
        self.path = directory / CACHE_FILE
        self.policy_version = policy_version
        self._mac = hmac.new(derive_key(key, "scrub-cache/v1"), digestmod=hashlib.sha256)
        # The connection is used by the process that opened it only (workers never see it).
        if read_only:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None)
            present = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            self._tables = tuple(t for t in TABLES if t in present)
            return
        directory.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._tables = TABLES

    def close(self) -> None:
        self._db.close()

    def key_for(self, policy: Policy, text: str, policy_version: str | None = None) -> bytes:
        mac = self._mac.copy()
        mac.update(f"{policy.name}\0{policy_version or self.policy_version}\0".encode())
        mac.update(text.encode("utf-8", "surrogatepass"))
        return mac.digest()[:KEY_BYTES]

    def get_many(self, policy: Policy, texts: Sequence[str]) -> dict[str, ScrubResult]:
        """The cached results among ``texts`` (by text; missing texts are absent). A ``scrubbed``
        row wins over an ``unchanged`` one of the same key (only ``put_verified`` could leave both,
        and the result with findings is the safe one)."""
        by_key = {self.key_for(policy, t): t for t in texts}
        keys = list(by_key)
        found: dict[str, ScrubResult] = {}
        for i in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[i : i + _LOOKUP_CHUNK]
            marks = ",".join("?" * len(chunk))
            if "unchanged" in self._tables:
                rows = self._db.execute(f"SELECT key, findings FROM unchanged WHERE key IN ({marks})", chunk)
                for key, findings in rows.fetchall():
                    found[by_key[key]] = ScrubResult(by_key[key], json.loads(findings))
            if "scrubbed" in self._tables:
                rows = self._db.execute(f"SELECT key, text, findings FROM scrubbed WHERE key IN ({marks})", chunk)
                for key, scrubbed, findings in rows.fetchall():
                    found[by_key[key]] = ScrubResult(scrubbed, json.loads(findings))
        return found

    def put_many(self, policy: Policy, items: Iterable[tuple[str, ScrubResult]]) -> int:
        """Store results (quarantined ones are not cached: they are cheap to redo). Returns the
        number of rows written."""
        now = int(time.time())
        changed, unchanged = [], []
        for text, result in items:
            if result.quarantine_reason is not None or result.text is None:
                continue
            key, findings = self.key_for(policy, text), json.dumps(result.findings)
            if result.text == text:
                unchanged.append((key, self.policy_version, findings, now))
            else:
                changed.append((key, self.policy_version, result.text, findings, now))
        if changed or unchanged:
            with self._transaction():
                self._db.executemany("INSERT OR REPLACE INTO scrubbed VALUES (?, ?, ?, ?, ?)", changed)
                self._db.executemany("INSERT OR REPLACE INTO unchanged VALUES (?, ?, ?, ?)", unchanged)
        return len(changed) + len(unchanged)

    def put_verified(self, policy: Policy, outputs: Iterable[str]) -> int:
        """Store scrub outputs that their scrub read again and found clean as their own scrub:
        unchanged, no findings (``ScrubResult.output_verified``). Never over an entry the key
        already has: a computed result stands. Returns the number of rows written."""
        now = int(time.time())
        rows = [(key, self.policy_version, "{}", now, key) for key in {self.key_for(policy, t) for t in outputs}]
        if not rows:
            return 0
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(
                "INSERT OR IGNORE INTO unchanged SELECT ?, ?, ?, ? "
                "WHERE NOT EXISTS (SELECT 1 FROM scrubbed WHERE key = ?)", rows)  # fmt: skip
            return self._db.total_changes - before

    def forget(self, policy: Policy, texts: Iterable[str]) -> int:
        """Delete the entries of these raw texts (e.g. a user's data after a deletion request),
        whichever policy version wrote them: an ``unchanged`` row holds no text to find it by."""
        texts = list(texts)
        versions = {self.policy_version} | {
            version for table in self._tables
            for (version,) in self._db.execute(f"SELECT DISTINCT policy_version FROM {table}")
        }  # fmt: skip
        keys = [(self.key_for(policy, t, version),) for version in sorted(versions) for t in texts]
        with self._transaction():
            before = self._db.total_changes
            for table in self._tables:
                self._db.executemany(f"DELETE FROM {table} WHERE key = ?", keys)
            return self._db.total_changes - before

    def prune(self, keep_version: str | None = None, older_than_s: float | None = None) -> int:
        """Delete entries of other policy versions (default: all but the current one) and,
        optionally, entries older than ``older_than_s`` seconds. Returns rows deleted."""
        keep = keep_version or self.policy_version
        deleted = 0
        with self._transaction():
            for table in self._tables:
                deleted += self._db.execute(
                    f"DELETE FROM {table} WHERE policy_version != ?", (keep,)
                ).rowcount
                if older_than_s is not None:
                    cutoff = int(time.time() - older_than_s)
                    deleted += self._db.execute(
                        f"DELETE FROM {table} WHERE created_at < ?", (cutoff,)
                    ).rowcount
        return deleted

    def clear(self) -> None:
        with self._transaction():
            for table in self._tables:
                self._db.execute(f"DELETE FROM {table}")

    def __len__(self) -> int:
        return sum(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in self._tables)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): one writer at a time across processes."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
