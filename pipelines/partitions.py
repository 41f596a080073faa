"""The daily partitioning every day-shaped asset shares: one partition per arrival day (UTC)."""

from __future__ import annotations

import dagster as dg

# The first day Flywheel can hold; the simulator's default week and the tests fall after it.
FIRST_DAY = "2025-01-01"

# end_offset=1 includes today, so the sensor can load a file that lands today without waiting.
daily_partitions = dg.DailyPartitionsDefinition(start_date=FIRST_DAY, end_offset=1, timezone="UTC")
