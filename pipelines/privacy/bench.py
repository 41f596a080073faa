"""Benchmark: Flywheel's Scrubber against a naive Presidio setup, on one corpus, in one run.

Corpus (``build_corpus``): real prompts (the DevAI tasks, the Open-Assistant prompt lottery, the
developer prompts of awesome-chatgpt-prompts, each cut to ``max_prompt_chars``) and the labelled
sentences of presidio-research's generated set. Of the unique texts, a fifth are labelled
sentences alone, two fifths prompts alone, the rest a prompt followed by a labelled sentence (the
labels shifted to their new offsets). ``repeat_share`` of the corpus are exact repeats of those
texts, drawn with a Zipf-like skew (retries, "continue", templates): 0.3 by default.

Systems:
* baseline: ``AnalyzerEngine`` with Presidio's default registry and default context enhancer, on
  the same spaCy model (full pipeline) via ``NlpEngineProvider``; ``analyze`` then
  ``AnonymizerEngine.anonymize``, one text at a time, one process. (tldextract is pointed at its
  bundled suffix list here too, so that the baseline never waits on the network.)
* flywheel: ``Scrubber(workers=...)`` with the natural-language policy, three ways: cold on the
  unique texts (engine speed alone), cold on the whole corpus (empty cache; duplicates scrubbed
  once), and warm (a rerun over the same cache).

Each system runs in its own fresh process so that its peak memory is its own (workers reported
apart). Model loading and pool start-up are excluded from throughput and reported apart. Besides
texts per second, texts per CPU-second (workers included) are reported: on a shared machine the
wall-clock ratio depends on what else runs, the CPU ratio much less. Recall is measured on the
labelled texts with ``evaluate.score_spans`` for both systems.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import secrets as stdlib_secrets
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from pipelines.privacy.evaluate import Span, load_pii_dataset, score_spans
from pipelines.privacy.model import LANGUAGE, SPACY_MODEL
from pipelines.settings import PROJECT_ROOT

# Reference data lives beside the checkout (shared/data/SOURCES.md), in CI too.
DEFAULT_DATA = PROJECT_ROOT.parent / "shared" / "data"
_PHASES = ("cold_unique", "cold_corpus", "warm_corpus")


@dataclass(frozen=True)
class Corpus:
    texts: tuple[str, ...]
    labels: dict[int, tuple[Span, ...]]  # index of a labelled text -> its gold spans
    unique: int
    repeats: int


def load_prompts(prompts_dir: Path, max_chars: int) -> list[str]:
    """The three prompt files of shared/data/prompts, each prompt cut at a word boundary."""
    prompts: list[str] = []
    for line in (prompts_dir / "oasst_prompt_lottery_en_250_text.jsonl").read_text().splitlines():
        if line.strip():
            prompts.append(json.loads(line))
    for line in (prompts_dir / "devai_55_tasks.jsonl").read_text().splitlines():
        if line.strip():
            prompts.append(json.loads(line)["query"])
    with (prompts_dir / "awesome_chatgpt_prompts_for_devs.csv").open(newline="") as handle:
        prompts.extend(row["prompt"] for row in csv.DictReader(handle))
    return [_cut(p, max_chars) for p in prompts if p.strip()]


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]


def build_corpus(
    data_dir: Path = DEFAULT_DATA,
    size: int = 3000,
    repeat_share: float = 0.3,
    max_prompt_chars: int = 2000,
    seed: int = 7,
) -> Corpus:
    """A deterministic corpus (see the module docstring)."""
    rng = random.Random(seed)
    prompts = load_prompts(data_dir / "prompts", max_prompt_chars)
    labelled = load_pii_dataset(data_dir / "pii" / "presidio_generated_small.json")
    unique_target = max(1, round(size * (1 - repeat_share)))
    texts: list[str] = []
    labels: dict[int, tuple[Span, ...]] = {}
    seen: set[str] = set()

    def add(text: str, spans: Sequence[Span]) -> None:
        if text not in seen:
            seen.add(text)
            if spans:
                labels[len(texts)] = tuple(spans)
            texts.append(text)

    # A fifth of the unique texts are labelled sentences alone, two fifths prompts alone, the rest
    # a prompt followed by a labelled sentence (labels shifted to their new offsets).
    sentences_alone = min(len(labelled), unique_target // 5)
    prompts_alone = min(len(prompts), (unique_target * 2) // 5)
    for row in rng.sample(labelled, sentences_alone):
        add(row.text, row.spans)
    for prompt in rng.sample(prompts, prompts_alone):
        add(prompt, ())
    attempts = 0
    while len(texts) < unique_target and attempts < unique_target * 20:
        attempts += 1
        prompt, row = rng.choice(prompts), rng.choice(labelled)
        offset = len(prompt) + 2
        shifted = [Span(s.entity_type, s.start + offset, s.end + offset) for s in row.spans]
        add(f"{prompt}\n\n{row.text}", shifted)
    order = list(range(len(texts)))
    rng.shuffle(order)  # mix the three kinds
    texts = [texts[i] for i in order]
    labels = {new: labels[old] for new, old in enumerate(order) if old in labels}
    unique_texts = texts[:unique_target]
    weights = [1 / (rank + 1) for rank in range(len(unique_texts))]
    order = list(range(len(unique_texts)))
    rng.shuffle(order)  # the popular texts are a random subset, not the first prompts
    repeats = rng.choices(order, weights=weights, k=max(0, size - len(unique_texts)))
    return Corpus(tuple(unique_texts) + tuple(unique_texts[i] for i in repeats),
                  {i: s for i, s in labels.items() if i < len(unique_texts)},
                  len(unique_texts), len(repeats))  # fmt: skip


# --- the two systems, each run in a fresh process ----------------------------------------------


def _peak_memory_mb() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"process_peak_mb": round(own, 1), "largest_worker_peak_mb": round(children, 1)}


def _run_baseline(data_dir: str, corpus_args: dict[str, Any]) -> dict[str, Any]:
    import tldextract.tldextract as tld
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    from pipelines.privacy.pii import offline_tld_extractor

    tld.TLD_EXTRACTOR = offline_tld_extractor()  # no network for the baseline either
    corpus = build_corpus(Path(data_dir), **corpus_args)
    started = time.perf_counter()
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine())
    anonymizer = AnonymizerEngine()
    analyzer.analyze("warm up", language=LANGUAGE)
    setup_s = time.perf_counter() - started
    per_text: list[float] = []
    predictions: dict[int, list[Span]] = {}
    cpu0 = time.process_time()
    for i, text in enumerate(corpus.texts):
        t0 = time.perf_counter()
        results = analyzer.analyze(text, language=LANGUAGE)
        anonymizer.anonymize(text=text, analyzer_results=results)
        per_text.append(time.perf_counter() - t0)
        if i in corpus.labels:
            predictions[i] = [Span(r.entity_type, r.start, r.end) for r in results]
    cpu = time.process_time() - cpu0
    unique_s = sum(per_text[: corpus.unique])
    return {
        "setup_s": round(setup_s, 2),
        "corpus_s": round(sum(per_text), 2),
        "corpus_texts_per_s": round(len(corpus.texts) / sum(per_text), 1),
        "unique_texts_per_s": round(corpus.unique / unique_s, 1),
        "cpu_seconds": round(cpu, 2),
        "texts_per_cpu_s": round(len(corpus.texts) / cpu, 1),
        "quality": score_spans([(corpus.labels[i], predictions[i]) for i in sorted(corpus.labels)]),
        **_peak_memory_mb(),
    }


def _run_flywheel(data_dir: str, corpus_args: dict[str, Any], workers: int) -> dict[str, Any]:
    from pipelines.privacy.policies import NATURAL_LANGUAGE
    from pipelines.privacy.pseudonyms import merge_overlaps
    from pipelines.privacy.scrubber import detector_for

    corpus = build_corpus(Path(data_dir), **corpus_args)
    key = stdlib_secrets.token_bytes(32)
    out: dict[str, Any] = {"workers": workers}
    with tempfile.TemporaryDirectory() as cache_dir:
        out["cold_unique"] = _time_scrub(key, list(corpus.texts[: corpus.unique]), None, workers)
        out["cold_corpus"] = _time_scrub(key, list(corpus.texts), Path(cache_dir), workers)
        out["warm_corpus"] = _time_scrub(key, list(corpus.texts), Path(cache_dir), workers)
    # Recall, untimed, on exactly what the scrubber replaces (merged findings).
    labelled = sorted(corpus.labels)
    findings = detector_for(NATURAL_LANGUAGE).detect_raw([corpus.texts[i] for i in labelled])
    out["quality"] = score_spans(
        [(corpus.labels[i], merge_overlaps(f)) for i, f in zip(labelled, findings, strict=True)]
    )
    out.update(_peak_memory_mb())
    out["largest_worker_peak_mb"] = max(
        out["largest_worker_peak_mb"], *(out[p]["worker_peak_mb"] for p in _PHASES)
    )
    return out


def _time_scrub(
    key: bytes, texts: list[str], cache_dir: Path | None, workers: int
) -> dict[str, Any]:
    """One timed scrub with a fresh Scrubber: wall time, CPU time (workers included), setup."""
    from pipelines.privacy.policies import NATURAL_LANGUAGE
    from pipelines.privacy.scrubber import Scrubber

    started = time.perf_counter()
    scrubber = Scrubber(key, cache_dir=cache_dir, workers=workers)
    scrubber.warm_up([NATURAL_LANGUAGE])
    setup_s = time.perf_counter() - started
    before = scrubber.worker_usage()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    scrubber.scrub(texts, NATURAL_LANGUAGE)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    after = scrubber.worker_usage()
    scrubber.close()
    cpu += sum(u.cpu_seconds - before[pid].cpu_seconds for pid, u in after.items() if pid in before)
    return {
        "texts": len(texts),
        "setup_s": round(setup_s, 2),
        "seconds": round(wall, 2),
        "texts_per_s": round(len(texts) / wall, 1),
        "cpu_seconds": round(cpu, 2),
        "texts_per_cpu_s": round(len(texts) / cpu, 1) if cpu > 0 else None,
        "cache_hits": scrubber.stats.cache_hits,
        "duplicates": scrubber.stats.duplicates,
        "worker_peak_mb": max((u.peak_memory_mb for u in after.values()), default=0.0),
    }


def _in_fresh_process(function: Any, *args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def run_benchmark(
    data_dir: Path = DEFAULT_DATA,
    size: int = 3000,
    repeat_share: float = 0.3,
    workers: int = 2,
    max_prompt_chars: int = 2000,
    baseline: bool = True,
) -> dict[str, Any]:
    """Run both systems and return every figure as a plain dict."""
    corpus_args = {"size": size, "repeat_share": repeat_share, "max_prompt_chars": max_prompt_chars}
    corpus = build_corpus(data_dir, **corpus_args)
    load_before = os.getloadavg()
    ours = _in_fresh_process(_run_flywheel, str(data_dir), corpus_args, workers)
    theirs = _in_fresh_process(_run_baseline, str(data_dir), corpus_args) if baseline else None
    report: dict[str, Any] = {
        "corpus": {
            "texts": len(corpus.texts),
            "unique": corpus.unique,
            "repeats": corpus.repeats,
            "repeat_share": repeat_share,
            "labelled_texts": len(corpus.labels),
            "characters": sum(len(t) for t in corpus.texts),
            "max_prompt_chars": max_prompt_chars,
        },
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "flywheel": ours,
        "baseline": theirs,
    }
    if theirs:
        report["ratios"] = {
            "cold_unique": round(
                ours["cold_unique"]["texts_per_s"] / theirs["unique_texts_per_s"], 1
            ),
            "cold_corpus": round(
                ours["cold_corpus"]["texts_per_s"] / theirs["corpus_texts_per_s"], 1
            ),
            "warm_corpus": round(
                ours["warm_corpus"]["texts_per_s"] / theirs["corpus_texts_per_s"], 1
            ),
        }
        # Work per text whatever else the machine runs: texts per CPU-second, ours over theirs.
        report["cpu_ratios"] = {
            phase: round(ours[phase]["texts_per_cpu_s"] / theirs["texts_per_cpu_s"], 1)
            for phase in _PHASES
            if ours[phase]["texts_per_cpu_s"]
        }
    return report


def format_report(report: dict[str, Any]) -> str:
    """The benchmark as a few lines a person reads."""
    c, ours, theirs = report["corpus"], report["flywheel"], report.get("baseline")
    lines = [
        f"corpus: {c['texts']} texts ({c['unique']} unique, {c['repeats']} repeats = "
        f"{c['repeat_share']:.0%}), {c['characters']} characters, {c['labelled_texts']} labelled",
        f"machine: {report['cpu_count']} CPUs, load average before {report['load_average_before']} "
        f"after {report['load_average_after']}",
    ]
    for phase in _PHASES:
        p = ours[phase]
        vs = f" = {report['ratios'][phase]}x baseline" if theirs else ""
        vs_cpu = f" = {report['cpu_ratios'].get(phase, '-')}x" if theirs else ""
        lines.append(
            f"flywheel {phase:<12} {p['texts_per_s']:>9} texts/s{vs}; {p['texts_per_cpu_s']} "
            f"texts/CPU-s{vs_cpu} ({p['texts']} texts in {p['seconds']} s, {ours['workers']} "
            f"workers, setup {p['setup_s']} s)"
        )
    if theirs:
        lines.append(
            f"baseline              {theirs['unique_texts_per_s']:>9} texts/s on unique texts, "
            f"{theirs['corpus_texts_per_s']} on the corpus; {theirs['texts_per_cpu_s']} texts/CPU-s "
            f"(setup {theirs['setup_s']} s)"
        )
    for name, system in (("flywheel", ours), ("baseline", theirs)):
        if system:
            q = system["quality"]
            lines.append(
                f"{name} recall {q['overall']['recall']} (redaction recall {q['redaction_recall']}), "
                f"precision {q['overall']['precision']}; peak memory {system['process_peak_mb']} MB"
                f" (+ largest worker {system['largest_worker_peak_mb']} MB)"
            )
            per = ", ".join(f"{e} {v['recall']}" for e, v in q["entities"].items() if v["gold"])
            lines.append(f"  recall by entity: {per}")
    return "\n".join(lines)
