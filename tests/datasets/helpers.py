"""Hand-made training-set inputs (lake events and marts rows) and a fast scanner for the tests."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pipelines.datasets import build, gates, ids, publish, synthetic
from pipelines.datasets.config import BuildOptions, DatasetConfig
from pipelines.settings import FlywheelPaths, pseudonym_key

TEST_KEY = "datasets-test-key-0123456789abcdef"
SMALL_CONFIG = DatasetConfig(min_examples={"sft": 10, "preference": 10, "unpaired": 10})
START = datetime(2026, 11, 2, 9, 0, 0)


@dataclass
class Answer:
    label: str = "success"
    score: float = 0.9
    failure_reason: str | None = None
    text: str = "I built it: the page now has what you asked for."
    patch: str | None = "--- a/src/App.tsx\n+++ b/src/App.tsx\n@@ -1,1 +1,2 @@\n+export default App;\n"


@dataclass
class Scenario:
    """Sessions of turns, each turn a prompt and its generations, written as the build reads them."""

    events: list[dict[str, Any]] = field(default_factory=list)
    generations: list[dict[str, Any]] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    _clock: itertools.count = field(default_factory=itertools.count)

    def user(self, user_id: str, consent: str = "granted", workspace: str = "ws_1") -> str:
        self.users[user_id] = {"user_id": user_id, "workspace_id": workspace, "consent_status": consent,
                               "is_training_eligible": consent == "granted"}
        return user_id

    def turn(self, session: str, user: str, index: int, prompt: str, *answers: Answer,
             day: str = "2026-11-02", intent: str = "new_app") -> list[str]:
        if user not in self.users:
            self.user(user)
        at = START + timedelta(seconds=next(self._clock))
        turn_id = f"trn_{session}_{index}"
        prompt_id = f"evt_p_{session}_{index}"
        self.events.append({
            "event_id": prompt_id, "event_type": "prompt.submitted", "ingest_date": day, "occurred_at": at,
            "workspace_id": self.users[user]["workspace_id"], "user_id": user, "session_id": session,
            "turn_id": turn_id, "turn_index": index, "prompt_text": prompt, "prompt_intent": intent,
        })
        generation_ids = []
        for number, answer in enumerate(answers, start=1):
            generation_id = f"evt_g_{session}_{index}_{number}"
            generation_ids.append(generation_id)
            self.events.append({
                "event_id": generation_id, "event_type": "generation.completed", "ingest_date": day,
                "occurred_at": at + timedelta(milliseconds=number), "workspace_id": self.users[user]["workspace_id"],
                "user_id": user, "session_id": session, "turn_id": turn_id, "response_id": f"resp_{generation_id}",
                "assistant_text": answer.text, "code_patch": answer.patch, "request_model": "model-a",
            })
            self.generations.append({
                "generation_id": generation_id, "response_id": f"resp_{generation_id}", "prompt_id": prompt_id,
                "workspace_id": self.users[user]["workspace_id"], "user_id": user, "session_id": session,
                "app_id": f"app_{session}", "turn_id": turn_id, "turn_index": index,
                "generation_number_in_turn": number, "prompt_intent": intent, "provider_name": "p",
                "request_model": "model-a", "response_model": "model-a", "success_score": answer.score,
                "outcome_label": answer.label, "failure_reason": answer.failure_reason,
                "completed_at": at, "ingest_date": datetime.fromisoformat(day).date(),
            })
        return generation_ids

    def write(self, paths: FlywheelPaths) -> None:
        synthetic.write_lake_rows(paths, self.events)
        synthetic.write_marts(paths, self.generations, list(self.users.values()))


def session_in(split: str, prefix: str, config: DatasetConfig = SMALL_CONFIG, start: int = 0) -> str:
    """A session id that the split rule puts in ``split``."""
    for n in itertools.count(start):
        session = f"{prefix}{n}"
        point = ids.split_point(config.split_salt, session)
        if ids.split_of(point, config.validation_fraction, config.test_fraction) == split:
            return session
    raise AssertionError("unreachable")


class PatternScanner:
    """A stand-in for the privacy stage's scanner: e-mail addresses and OpenAI-style keys."""

    description = "test pattern scanner (e-mail, sk- keys)"
    policy_version = "test"
    _patterns = {"EMAIL_ADDRESS": re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
                 "OPENAI_API_KEY": re.compile(r"\bsk-[A-Za-z0-9]{20,}")}

    def findings(self, texts: Sequence[str], kind: str) -> list[dict[str, int]]:
        out = []
        for text in texts:
            found = {name: len(p.findall(text)) for name, p in self._patterns.items()}
            out.append({k: v for k, v in found.items() if v})
        return out


def key(paths: FlywheelPaths) -> bytes:
    return pseudonym_key(paths)


def assemble(paths: FlywheelPaths, config: DatasetConfig = SMALL_CONFIG) -> tuple[Any, build.Assembly]:
    """Run the build's SQL (no files, no gates) and return the connection to inspect its tables."""
    work = paths.tmp / "assemble-test"
    work.mkdir(parents=True, exist_ok=True)
    con = build.connect(work, BuildOptions(), key(paths))
    return con, build.assemble(con, paths, config, BuildOptions(), work)


def publish_version(paths: FlywheelPaths, config: DatasetConfig = SMALL_CONFIG, **kwargs: Any) -> publish.BuildResult:
    kwargs.setdefault("upstream", gates.not_checked_upstream("tests build outside Dagster"))
    kwargs.setdefault("scanner", PatternScanner())
    return publish.build_version(paths, config, BuildOptions(), **kwargs)


def rows(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    result = con.execute(sql, params or [])
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
