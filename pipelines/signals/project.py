"""The dbt project (``dbt/``) as Dagster and the benchmark see it: one ``DbtProject``, its manifest
kept fresh, and the arguments every dbt invocation of the signals stage uses.

The manifest is derived data (``dbt/target`` is not in git). ``prepare_manifest`` runs ``dbt parse``
when it is missing or older than any file of the project, under a file lock, and moves the result
into place atomically: a fresh clone, ``dagster definitions validate`` and parallel test workers
all load the same complete manifest with no manual step.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from filelock import FileLock
from packaging import version

from pipelines.settings import DBT_PROJECT_DIR, environment_holding

# dbt reads its profile from here whatever DBT_PROFILES_DIR says (passed as --profiles-dir).
DBT_PROFILES_DIR = DBT_PROJECT_DIR
# What the daily, partitioned run builds: everything of the signals stage. The rest of the
# project (the business marts and the seeds) is history-wide and runs once after the days.
DAILY_FOLDERS = ("staging", "intermediate", "marts/signals", "marts/health")
DAILY_SELECTION = " ".join(f"path:models/{folder}" for folder in DAILY_FOLDERS)
# Unit tests check SQL logic on hand-made rows: pytest runs them, daily runs need not.
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]
# dbt writes a log file beside its artifacts (removed after a successful run, kept after a failed
# one) at debug level by default: every query's text, 3.7 MB a daily run at a million interactions.
# At info it keeps what each node did and how it ended (0.35 MB); measured on a real day of the
# million, three interleaved pairs: 24.8 -> 22.5 s wall, 30.4 -> 27.7 CPU s a daily run.
FILE_LOG_AT_INFO = ["--log-level-file", "info"]
# Nor does a run need dbt's JSON artifacts: manifest.json (Dagster reads the one prepare_manifest
# keeps), run_results.json, semantic_manifest.json and graph.gpickle, written by every invocation
# into a target folder that a successful run then removes (the parse state is written either way;
# a failed run keeps its folder with dbt.log and the compiled SQL, and Dagster holds every node's
# outcome). A history build on a one-day home, two interleaved pairs: 15.8 / 15.4 -> 13.7 / 14.0
# CPU s (docs/benchmarks.md, run J).
NO_JSON_ARTIFACTS = ["--no-write-json"]
# Files whose change makes the manifest stale (directories too: a deleted file changes its folder).
PROJECT_INPUTS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml", "selectors.yml")
MANIFEST_LOCK_TIMEOUT_S = 600
# The run window's environment variables, per end (read by dbt/macros/run_window.sql).
WINDOW_ENV = {"min_date": "FLYWHEEL_DBT_MIN_DATE", "max_date": "FLYWHEEL_DBT_MAX_DATE"}
PARTIAL_PARSE_FILE = "partial_parse.msgpack"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROFILES_DIR)


def dbt_executable() -> str:
    """The dbt of this interpreter's environment (works when the venv is not on PATH)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


class FlywheelDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, less two things it does in this process before every command.

    - The dbt adapter it builds: it serves only ``fetch_row_counts()`` / ``fetch_column_metadata()``
      on the event stream, which Flywheel does not call (dbt runs in its own process either way);
      building it loads the profile and parses every macro of dbt and the project: ~1.7 CPU s a
      daily run.
    - ``dbt --version``, run once per resource, so once per Dagster run, to learn which dbt the
      executable is: a whole dbt process started for it (~1.5 CPU s; ~3 on a slower machine).
      When the executable is this environment's own dbt, its version is dbt-core's installed one.
    """

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == Path(sys.executable).with_name("dbt"):
            try:
                return version.parse(metadata.version("dbt-core"))
            except metadata.PackageNotFoundError:  # another dbt installed there (Fusion): ask it
                pass
        return super()._cli_version


def dbt_resource() -> DbtCliResource:
    return FlywheelDbtCliResource(
        project_dir=dbt_project, profiles_dir=str(DBT_PROFILES_DIR), dbt_executable=dbt_executable()
    )


def newest_input_mtime(project_dir: Path) -> float:
    """The latest modification time among the project's files and folders."""
    stamps = [project_dir.joinpath(name).stat().st_mtime for name in PROJECT_FILES if project_dir.joinpath(name).exists()]
    for folder in PROJECT_INPUTS:
        root = project_dir / folder
        if root.exists():
            stamps.extend(path.stat().st_mtime for path in [root, *root.rglob("*")])
    return max(stamps, default=0.0)


def manifest_is_stale(manifest: Path, project_dir: Path) -> bool:
    return not manifest.exists() or manifest.stat().st_mtime < newest_input_mtime(project_dir)


def prepare_manifest(project: DbtProject = dbt_project) -> Path:
    """A manifest.json that matches the project's files: parsed now if missing or stale."""
    manifest = project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(manifest.with_name("manifest.lock")), timeout=MANIFEST_LOCK_TIMEOUT_S):
        if manifest_is_stale(manifest, project.project_dir):
            parse_dir = manifest.parent / "parse"
            parsed = parse_dir / "manifest.json"
            result = subprocess.run(
                [dbt_executable(), "parse", "--project-dir", str(project.project_dir),
                 "--profiles-dir", str(DBT_PROFILES_DIR), "--target-path", str(parse_dir),
                 "--log-path", str(parse_dir)],
                env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0 or not parsed.exists():
                raise RuntimeError(
                    f"dbt parse failed for {project.project_dir} (exit {result.returncode}); its output:\n"
                    f"{(result.stdout + result.stderr)[-3000:]}"
                )
            # os.replace is atomic: readers see the old manifest or the new one, never half of one
            staged = manifest.with_name("manifest.json.staged")
            shutil.copyfile(parsed, staged)
            os.replace(staged, manifest)
    return manifest


def run_window(start: datetime, end: datetime) -> dict[str, str]:
    """The arrival days of a Dagster time window [start, end), both ends inclusive."""
    if end <= start:
        raise ValueError(f"empty partition window: {start} .. {end}")
    return {"min_date": start.date().isoformat(), "max_date": (end - timedelta(days=1)).date().isoformat()}


def window_environment(window: Mapping[str, str] | None) -> dict[str, str | None]:
    """The environment that gives dbt a run window (``None``: unset, a run over all days).

    Not --vars: dbt re-parses the whole project when a var changes (a daily var changes every
    day), but only the files that read an environment variable while dbt parses when that one
    changes, and no file reads the window then (dbt/macros/run_window.sql): a new window costs no
    parsing at all.
    """
    return {variable: (window or {}).get(end) for end, variable in WINDOW_ENV.items()}


@contextmanager
def window_in_environment(window: Mapping[str, str] | None) -> Iterator[None]:
    """``os.environ`` holds ``window`` (or no window) inside, as it was after: dagster-dbt gives
    the dbt process this process's environment, and a later invocation must not inherit a day."""
    with environment_holding(window_environment(window)):
        yield


def build_args() -> list[str]:
    """`dbt build` of the signals stage, daily or history (Dagster adds --select; the window is
    in the environment: ``window_in_environment``)."""
    return ["build", *NO_UNIT_TESTS, *FILE_LOG_AT_INFO, *NO_JSON_ARTIFACTS]


def parse_state_file(state_dir: Path) -> Path:
    """Where a home keeps dbt's parse state between invocations (``FlywheelPaths.state``)."""
    return state_dir / "dbt" / PARTIAL_PARSE_FILE


def restore_partial_parse(saved: Path, target: Path) -> None:
    """Start an invocation in ``target`` from the parse state an earlier one left (if any).

    dbt checks the file itself (its version, the vars, the profile, every project file's checksum
    and the environment variables the files read) and re-parses what changed, all of the project
    if need be; without it, every invocation parses the whole project (~5 CPU s).
    """
    if saved.is_file():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target / PARTIAL_PARSE_FILE)


def keep_partial_parse(target: Path, saved: Path) -> None:
    """Keep the parse state a successful invocation wrote in ``target`` for the next one."""
    written = target / PARTIAL_PARSE_FILE
    if written.is_file():
        saved.parent.mkdir(parents=True, exist_ok=True)
        # a name of its own: two invocations finishing at once never write into one file
        staged = saved.with_name(f"{saved.name}.{os.getpid()}-{uuid.uuid4().hex}.staged")
        shutil.copyfile(written, staged)
        os.replace(staged, saved)  # atomic: a concurrent reader gets the old state or the new


def cli_args_with_selection(args: Iterable[str], selection: str) -> list[str]:
    """The same arguments run outside Dagster (the benchmark), selecting the daily models."""
    return [*args, "--select", selection]
