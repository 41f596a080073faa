"""Shared, expensive fixtures of the training-set tests: synthetic homes built once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.datasets import publish, synthetic
from tests.datasets.helpers import TEST_KEY, publish_version

# Offline: the Hugging Face libraries must never reach for the network in these tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
SYNTHETIC_INTERACTIONS = 1500


@pytest.fixture(autouse=True)
def _pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same key in every home, so that two homes built from the same inputs give the same ids.
    monkeypatch.setenv(settings.PSEUDONYM_KEY_ENV, TEST_KEY)


def make_home(root: Path) -> settings.FlywheelPaths:
    paths = settings.paths(root)
    settings.ensure_layout(paths)
    return paths


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[settings.FlywheelPaths, publish.BuildResult]]:
    """A home with synthetic inputs and one published version (read-only for the tests using it)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(settings.PSEUDONYM_KEY_ENV, TEST_KEY)
        paths = make_home(tmp_path_factory.mktemp("published") / "home")
        synthetic.synthesize(paths, SYNTHETIC_INTERACTIONS, days=3)
        result = publish_version(paths)
        assert result.status == "published", result.error
        yield paths, result
