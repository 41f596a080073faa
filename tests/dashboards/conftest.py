"""Dashboard tests read the snapshot of the business tests' simulated run (built once per session)."""

from __future__ import annotations

from tests.business.conftest import business_home  # noqa: F401  (the shared session fixture)
