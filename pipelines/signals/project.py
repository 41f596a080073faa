"""The dbt project (``dbt/``) as Dagster and the benchmark see it: one ``DbtProject``, its manifest
kept fresh, and the arguments every dbt invocation of the signals stage uses.

The manifest is derived data (``dbt/target`` is not in git). ``prepare_manifest`` runs ``dbt parse``
when it is missing or older than any file of the project, under a file lock, and moves the result
into place atomically: a fresh clone, ``dagster definitions validate`` and parallel test workers
all load the same complete manifest with no manual step.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from filelock import FileLock

from pipelines.settings import DBT_PROJECT_DIR

# dbt reads its profile from here whatever DBT_PROFILES_DIR says (passed as --profiles-dir).
DBT_PROFILES_DIR = DBT_PROJECT_DIR
# What the daily, partitioned run builds: everything of the signals stage. The rest of the
# project (the business marts and the seeds) is history-wide and runs once after the days.
DAILY_FOLDERS = ("staging", "intermediate", "marts/signals", "marts/health")
DAILY_SELECTION = " ".join(f"path:models/{folder}" for folder in DAILY_FOLDERS)
# Unit tests check SQL logic on hand-made rows: pytest runs them, daily runs need not.
NO_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]
# Files whose change makes the manifest stale (directories too: a deleted file changes its folder).
PROJECT_INPUTS = ("models", "macros", "tests", "seeds", "snapshots", "analyses")
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml", "selectors.yml")
MANIFEST_LOCK_TIMEOUT_S = 600

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROFILES_DIR)


def dbt_executable() -> str:
    """The dbt of this interpreter's environment (works when the venv is not on PATH)."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
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
    """dbt vars for a Dagster time window [start, end): the arrival days, both ends inclusive."""
    if end <= start:
        raise ValueError(f"empty partition window: {start} .. {end}")
    return {"min_date": start.date().isoformat(), "max_date": (end - timedelta(days=1)).date().isoformat()}


def daily_build_args(window: dict[str, str]) -> list[str]:
    """`dbt build` for the daily models of a window of arrival days (Dagster adds --select)."""
    return ["build", "--vars", json.dumps(window, sort_keys=True), *NO_UNIT_TESTS]


def history_build_args() -> list[str]:
    return ["build", *NO_UNIT_TESTS]


def cli_args_with_selection(args: Iterable[str], selection: str) -> list[str]:
    """The same arguments run outside Dagster (the benchmark), selecting the daily models."""
    return [*args, "--select", selection]
