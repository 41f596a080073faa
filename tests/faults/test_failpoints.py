"""The failpoint hook itself, where its points sit, and a crash between publishing a training-set
version and recording it in the index (cheap: a synthetic home, no pipeline run)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import orjson
import pytest

from pipelines import settings
from pipelines.datasets import publish
from pipelines.failpoints import CRASH_ENV, FAILPOINTS, failpoint
from tests.datasets.helpers import TEST_KEY, publish_version
from tests.faults.harness import run_environment

pytestmark = pytest.mark.xdist_group("faults")

PIPELINES = settings.PROJECT_ROOT / "pipelines"


def _python(code: str, crash_at: str | None, *args: str, crash_record: Path | None = None) -> subprocess.CompletedProcess:
    env = run_environment(crash_at, crash_record) | {settings.PSEUDONYM_KEY_ENV: TEST_KEY}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                          capture_output=True, text=True, timeout=600, cwd=settings.PROJECT_ROOT)


def test_an_unarmed_failpoint_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CRASH_ENV, raising=False)
    failpoint("scrub.mid_write")
    monkeypatch.setenv(CRASH_ENV, "some.other_point")
    failpoint("scrub.mid_write")


def test_an_armed_failpoint_kills_the_process_on_its_nth_hit(tmp_path: Path) -> None:
    code = """
        from pipelines.failpoints import failpoint
        for i in range(3):
            print("before", i, flush=True)
            failpoint("a.point")
    """
    first = _python(code, "a.point", crash_record=tmp_path / "crash")
    assert first.returncode == -signal.SIGKILL
    assert first.stdout.split("\n")[:1] == ["before 0"] and "before 1" not in first.stdout
    assert "failpoint a.point: SIGKILL" in first.stderr
    assert (tmp_path / "crash").read_text().startswith("failpoint a.point: SIGKILL")
    second = _python(code, "a.point#2")
    assert second.returncode == -signal.SIGKILL and "before 1" in second.stdout and "before 2" not in second.stdout


def test_a_watching_failpoint_kills_the_whole_process_group_when_its_condition_holds(tmp_path: Path) -> None:
    # The group leader watches for a file its child (standing in for dbt) writes; both must die.
    code = """
        import os, subprocess, sys, time
        from pathlib import Path
        from pipelines.failpoints import failpoint_when
        marker = Path(sys.argv[1])
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2); open(%r, 'w'); time.sleep(60)" % str(marker)])
        Path(sys.argv[2]).write_text(str(child.pid))
        failpoint_when("dbt.mid_build", marker.exists)
        child.wait()
    """
    marker, child_pid = tmp_path / "marker", tmp_path / "child.pid"
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), str(marker), str(child_pid)],
        env=run_environment("dbt.mid_build"), capture_output=True, text=True, timeout=60,
        start_new_session=True,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert _dies(int(child_pid.read_text()), "time.sleep(60)"), "the child survived its group's SIGKILL"


def _dies(pid: int, command_part: str, seconds: float = 10.0) -> bool:
    """Whether process ``pid`` (running ``command_part``) is gone or a zombie within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if command_part not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                return True  # gone, and its pid reused
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.05)
    return False


def test_every_failpoint_is_placed_once_and_every_placed_one_is_listed() -> None:
    placed: list[str] = []
    for source in PIPELINES.rglob("*.py"):
        if source.name == "failpoints.py":
            continue
        placed += re.findall(r"failpoint(?:_when)?\(\s*\"([^\"]+)\"", source.read_text())
    assert sorted(placed) == sorted(FAILPOINTS), "FAILPOINTS must list exactly the points in the code"


def test_a_crash_between_publishing_a_version_and_indexing_it_is_repaired_by_the_next_build(tmp_path: Path) -> None:
    code = """
        import sys
        from pipelines import settings
        from pipelines.datasets import synthetic
        from tests.datasets.helpers import publish_version
        paths = settings.paths(sys.argv[1])
        settings.ensure_layout(paths)
        synthetic.synthesize(paths, 600, days=2)
        publish_version(paths)
    """
    crashed = _python(code, "dataset.before_index", str(tmp_path / "home"))
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-3000:]
    paths = settings.paths(tmp_path / "home")
    (version_dir,) = [p for p in paths.datasets.glob("*/v*") if p.is_dir()]
    assert not publish.read_index(version_dir.parent), "the crash came before the index was written"

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.PSEUDONYM_KEY_ENV, TEST_KEY)
        result = publish_version(paths)
    assert result.status == "unchanged" and result.version == version_dir.name, result.error
    index = publish.read_index(version_dir.parent)
    manifest = orjson.loads((version_dir / "manifest.json").read_bytes())
    assert [(e["version"], e["parent"], e["content_digest"]) for e in index] == [
        (version_dir.name, manifest["parent"], manifest["content_digest"])]
    assert publish.latest_version(version_dir.parent) == version_dir.name

