"""The simulated vibe-coding platform: interaction and billing events with a known ground truth.

    from pipelines.simulator import SimulationConfig, generate, GenerationReport
    report = generate(paths, SimulationConfig(days=7))

writes gzipped JSONL (and a daily feedback Parquet) into the landing zone, billing JSONL beside it,
and the truth the pipeline's measurements are checked against into ``paths.ground_truth``.
"""

from pipelines.simulator.config import DayLines, GenerationReport, SimulationConfig
from pipelines.simulator.engine import generate

__all__ = ["DayLines", "GenerationReport", "SimulationConfig", "generate"]
