"""The incremental models' deletes by key carry the run window's predicates, made when they run.

The window is read only when a model runs (dbt/macros/run_window.sql), and the strategy
``delete_insert_in_window`` turns each model's ``window_predicates`` into SQL then. The
predicates narrow a delete that is already by key, so the tables come out the same without
them: only the SQL dbt ran can show that they are there, with this run's days.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipelines import settings
from pipelines.signals import project
from tests.signals import pipeline
from tests.signals.conftest import ShuffledHome

pytestmark = pytest.mark.xdist_group("signals_order")

# model -> the predicate its delete by key must hold, for a window (first, last)
EXPECTED = {
    "base_lake__events": "and ingest_date > date '{last}'",
    "int_actions_attributed": "and ingest_date >= date '{first}' - 2",
    "int_generation_signals": "and ingest_date >= date '{first}' - 2",
    "fct_generations": "and ingest_date >= date '{first}' - 2",
    "int_session_days": "and DBT_INCREMENTAL_TARGET.ingest_date >= date '{first}' - 2",
}


def _expected(first: str, last: str) -> dict[str, str]:
    return {model: predicate.format(first=first, last=last) for model, predicate in EXPECTED.items()}


def _deletes_by_key(target: Path) -> dict[str, str]:
    """The delete statement of each incremental model's run (dbt writes what it ran under run/)."""
    found = {}
    for path in target.glob("run/flywheel/models/**/*.sql"):
        statement = re.search(r"delete from [^;]*?__dbt_tmp[^;]*?;", path.read_text(), re.S)
        if statement:
            found[path.stem] = " ".join(statement.group(0).split())
    return found


def test_each_delete_by_key_holds_the_predicates_of_this_runs_window(shuffled_home: ShuffledHome, tmp_path: Path) -> None:
    # a copy: the fixture's home is shared; every model already exists, so these runs are incremental
    paths = settings.paths(tmp_path / "home")
    shutil.copytree(shuffled_home.paths.home, paths.home)
    first, last = shuffled_home.days[0], shuffled_home.days[-1]
    selection = " ".join(EXPECTED)
    target = paths.tmp / "dbt-tests"
    for window, expected in [
        ({"min_date": first, "max_date": last}, _expected(first, last)),
        ({"min_date": last, "max_date": last}, _expected(last, last)),
        (None, {"base_lake__events": "and false"}),  # no window: the others replace by key alone
    ]:
        shutil.rmtree(target, ignore_errors=True)
        with project.window_in_environment(window):
            pipeline.dbt(paths, "run", "--select", selection)
        deletes = _deletes_by_key(target)
        assert set(deletes) == set(EXPECTED), (window, sorted(deletes))
        for model, statement in deletes.items():
            if model in expected:
                assert expected[model] in statement, (window, model, statement)
            else:
                assert "date '" not in statement, (window, model, statement)
