"""Training sets: versioned, gated SFT and preference datasets built from the scrubbed lake and the signals.

Public API (see README.md in this folder):

- ``DatasetConfig`` / ``BuildOptions`` (config.py): what a version holds / how a build runs;
- ``build_version`` (publish.py): build, gate and atomically publish one version;
- ``list_versions``, ``resolve``, ``diff`` (registry.py): find and compare published versions;
- ``export`` (export.py): one format of a version into a directory;
- ``check_openai_chat_lines``, ``check_openai_dpo_lines``, ``check_trl_parquet`` (formats.py):
  the consumers' format rules;
- the Dagster asset ``training_dataset`` (assets.py) and the ``flywheel datasets`` commands (cli.py).
"""

from pipelines.datasets.config import BuildOptions, DatasetConfig
from pipelines.datasets.export import export
from pipelines.datasets.formats import (
    check_openai_chat_lines,
    check_openai_dpo_lines,
    check_trl_parquet,
)
from pipelines.datasets.publish import BuildResult, build_version
from pipelines.datasets.registry import diff, list_versions, resolve

__all__ = [
    "BuildOptions",
    "BuildResult",
    "DatasetConfig",
    "build_version",
    "check_openai_chat_lines",
    "check_openai_dpo_lines",
    "check_trl_parquet",
    "diff",
    "export",
    "list_versions",
    "resolve",
]
