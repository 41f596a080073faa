"""The business and dashboard tests share one simulated run per test process (see pipeline.py)."""

from __future__ import annotations

import pytest

from tests.business.pipeline import BusinessHome, shared_business_home


@pytest.fixture(scope="session")
def business_home(tmp_path_factory: pytest.TempPathFactory) -> BusinessHome:
    return shared_business_home(tmp_path_factory)
