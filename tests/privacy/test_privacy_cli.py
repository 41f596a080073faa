"""``flywheel pii``: the eval and bench commands, and the benchmark corpus."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pipelines.privacy.bench import build_corpus, format_report, run_benchmark
from pipelines.privacy.cli import app

from .conftest import PII_DATASET, SECRET_CASES, SHARED_DATA, shared

pytestmark = pytest.mark.xdist_group("privacy")
runner = CliRunner()


def test_eval_prints_a_table() -> None:
    result = runner.invoke(
        app, ["eval", "--dataset", str(shared(PII_DATASET)), "--secrets", str(shared(SECRET_CASES))]
    )
    assert result.exit_code == 0, result.output
    assert "PERSON" in result.output and "false-alarm rate" in result.output


def test_eval_json() -> None:
    result = runner.invoke(app, ["eval", "--dataset", str(shared(PII_DATASET)), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["kind"] == "pii" and report["rows"] == 100


def test_eval_needs_a_dataset() -> None:
    result = runner.invoke(app, ["eval"])
    assert result.exit_code != 0
    assert "--dataset" in result.output


def test_corpus_is_deterministic_with_the_asked_repetition() -> None:
    shared(SHARED_DATA / "prompts")
    corpus = build_corpus(SHARED_DATA, size=1000, repeat_share=0.3)
    assert corpus == build_corpus(SHARED_DATA, size=1000, repeat_share=0.3)
    assert len(corpus.texts) == 1000 and corpus.repeats == 300 and corpus.unique == 700
    assert len(set(corpus.texts)) == corpus.unique
    for index, spans in list(corpus.labels.items())[:50]:  # labels kept their offsets
        text = corpus.texts[index]
        assert all(0 <= s.start < s.end <= len(text) for s in spans)


def test_benchmark_smoke() -> None:
    shared(SHARED_DATA / "prompts")
    report = run_benchmark(SHARED_DATA, size=40, repeat_share=0.25, workers=1)
    assert report["flywheel"]["warm_corpus"]["cache_hits"] == report["corpus"]["unique"]
    assert report["baseline"]["corpus_texts_per_s"] > 0 and "ratios" in report
    assert "texts/s" in format_report(report)


@pytest.mark.parametrize("command", ["eval", "bench"])
def test_commands_document_themselves(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_importing_the_cli_loads_no_model() -> None:
    import subprocess
    import sys

    code = "import sys, pipelines.privacy.cli; print('spacy' in sys.modules or 'presidio_analyzer' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"
