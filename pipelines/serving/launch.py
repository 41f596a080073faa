"""Start the dashboards: ``streamlit run dashboards/app.py`` bound to 127.0.0.1, headless, no telemetry.

``flywheel dashboards`` calls ``launch``; the browser tests and the benchmark build the same command
with ``streamlit_command`` so what they test is what a person runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines import settings

APP = settings.DASHBOARDS_DIR / "app.py"
DEFAULT_ADDRESS = "127.0.0.1"
DEFAULT_PORT = 8501
SNAPSHOT_ENV = "FLYWHEEL_SERVING_DB"  # dashboards.data reads it: a snapshot file instead of the home's


def streamlit_command(port: int = DEFAULT_PORT, address: str = DEFAULT_ADDRESS) -> list[str]:
    """The exact command line: headless (no e-mail prompt on first start) and no usage statistics."""
    return [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", address,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]


def dashboard_env(home: str | os.PathLike[str] | None = None, snapshot: Path | None = None) -> dict[str, str]:
    """This environment, pointed at one ``$FLYWHEEL_HOME`` (or directly at a snapshot file)."""
    env = dict(os.environ)
    env[settings.HOME_ENV] = str(settings.paths(home).home)
    if snapshot is not None:
        env[SNAPSHOT_ENV] = str(snapshot)
    elif home is not None:
        env.pop(SNAPSHOT_ENV, None)  # an explicit home wins over a snapshot path left in the environment
    return env


def start(port: int = DEFAULT_PORT, address: str = DEFAULT_ADDRESS, home: str | os.PathLike[str] | None = None,
          snapshot: Path | None = None, quiet: bool = False) -> subprocess.Popen[bytes]:
    """Start the app in the background; the caller stops it (``terminate``) when done."""
    output = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(
        streamlit_command(port, address), cwd=settings.PROJECT_ROOT, env=dashboard_env(home, snapshot),
        stdout=output, stderr=output,
    )


def launch(port: int = DEFAULT_PORT, address: str = DEFAULT_ADDRESS, home: str | os.PathLike[str] | None = None) -> int:
    """Run the dashboards in the foreground until interrupted; returns streamlit's exit code."""
    process = start(port, address, home)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()
