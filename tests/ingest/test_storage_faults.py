"""A full disk gives a clear error and leaves the last good state exactly as it was."""

from __future__ import annotations

import subprocess
import sys

from pipelines import lake
from pipelines.ingest.load import ingest_day, valid_table_root
from tests.ingest.test_ingest import EVENTS, fresh, line, write_landing

DAY = "2026-11-02"

# RLIMIT_FSIZE makes every write past the limit fail with EFBIG, as a full disk would (ENOSPC):
# the process sees a failed write in the middle of its work, which is what we want to survive.
INGEST_WITH_TINY_DISK = """
import resource, signal, sys
from pipelines import settings
from pipelines.ingest.load import ingest_day
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    ingest_day(settings.paths(sys.argv[1]), "events", sys.argv[2])
except OSError as exc:
    print(type(exc).__name__, exc)
    sys.exit(1)
"""


def test_disk_full_during_ingest_keeps_the_previous_day(home) -> None:
    write_landing(home, DAY, "a.jsonl", [line(fresh(e)) for e in EVENTS])
    ingest_day(home, "events", DAY)
    day_file = lake.partition_path(valid_table_root(home, "events"), DAY)
    before = day_file.read_bytes()

    # A bigger re-delivery of the day arrives, and the disk fills up while it is being loaded.
    write_landing(home, DAY, "b.jsonl", [line(fresh(e, **{"prompt.text": "x" * 2000} if "prompt.text" in e else {})) for e in EVENTS * 20])
    result = subprocess.run(
        [sys.executable, "-c", INGEST_WITH_TINY_DISK, str(home.home), DAY], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert "StateNotWritable" in result.stdout
    assert "last good state is intact" in result.stdout
    assert day_file.read_bytes() == before
    assert not any(home.tmp.iterdir()), "scratch files were left behind"
