"""Fixtures shared by every test: a private $FLYWHEEL_HOME and the contract's example lines."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipelines import settings

SHARED_DATA = settings.PROJECT_ROOT.parent / "shared" / "data"


def contract_examples() -> list[dict]:
    """The example line of every event type, as documented in schemas/README.md."""
    text = (settings.SCHEMAS_DIR / "README.md").read_text()
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]


def source_of(example: dict) -> str:
    return "billing" if example["event_type"].startswith("subscription.") else "events"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> settings.FlywheelPaths:
    """A fresh state directory for one test, also exported as $FLYWHEEL_HOME."""
    paths = settings.paths(tmp_path / "flywheel")
    settings.ensure_layout(paths)
    monkeypatch.setenv("FLYWHEEL_HOME", str(paths.home))
    monkeypatch.setenv("DAGSTER_HOME", str(paths.dagster_home))
    return paths
