"""Build a version, gate it, and publish it atomically: all of it or nothing.

``build_version`` stages everything in a private work directory under ``paths.tmp`` (same
filesystem as the exports), runs every gate on the staged files, and only when all pass writes
the manifest, the dataset card, the job spec and ``SHA256SUMS``, then moves the directory into
``exports/datasets/<name>/<version>/`` with one ``rename``. A reader sees no version or a whole
one. A failed gate or an exception deletes the work directory; a killed process leaves one behind
that the next build sweeps away (its owner's pid is in its name); one killed between the
rename and the index entry left a version that the next build lists.

The version id is ``v`` + 16 hex digits of the content digest: SHA-256 over the configuration
(with the build rules' version) and the SHA-256 of every data file. Same inputs, same code:
same files, same id, and the manifest and card (which hold no wall-clock time) are the same bytes.
Publication time lives outside the version, in ``<name>/versions.json``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import orjson

from pipelines import contract
from pipelines import scratch as scratch_space
from pipelines.datasets import build, card, gates, jobspec
from pipelines.datasets.config import (
    BUILD_RULES_VERSION,
    KINDS,
    SPLITS,
    BuildOptions,
    DatasetConfig,
    canonical_json,
)
from pipelines.datasets.formats import data_files
from pipelines.datasets.text import BYTES_PER_TOKEN, TOKENS_PER_MESSAGE, TOKENS_PER_REPLY
from pipelines.failpoints import failpoint
from pipelines.settings import PROJECT_ROOT, FlywheelPaths, ensure_layout, pseudonym_key

WORK_LABEL = "dataset-build"
WORK_PREFIX = f"{WORK_LABEL}-"
INDEX_FILE = "versions.json"
VERSION_PREFIX = "v"


class BuildFailed(RuntimeError):
    """A gate failed or the build raised: nothing was published."""

    def __init__(self, message: str, result: BuildResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass
class BuildResult:
    name: str
    status: str  # published | unchanged | failed
    version: str | None = None
    path: Path | None = None
    gates: list[gates.GateResult] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    seconds: float = 0.0
    error: str | None = None
    stages: dict[str, float] = field(default_factory=dict)
    steps: dict[str, float] = field(default_factory=dict)  # the assembly's steps, in seconds

    @property
    def ok(self) -> bool:
        return self.status in ("published", "unchanged")


# --- work directories -----------------------------------------------------------------------------


def sweep_stale_work(paths: FlywheelPaths) -> list[Path]:
    """Remove work directories whose build process is gone (killed mid-build)."""
    return scratch_space.sweep(paths.tmp, WORK_LABEL)


@contextmanager
def work_directory(paths: FlywheelPaths) -> Iterator[Path]:
    work = paths.tmp / scratch_space.owned_name(WORK_LABEL)
    work.mkdir(parents=True)
    try:
        yield work
    finally:
        scratch_space.remove(work)


@contextmanager
def dataset_lock(root: Path) -> Iterator[None]:
    """One publisher at a time per dataset name (released by the kernel if the holder dies)."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --- digests, provenance ----------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def content_digest(config: DatasetConfig, file_digests: dict[str, str]) -> str:
    return hashlib.sha256(canonical_json({"identity": config.identity(), "files": file_digests})).hexdigest()


def version_id(digest: str) -> str:
    return f"{VERSION_PREFIX}{digest[:16]}"


def code_version() -> dict[str, Any]:
    try:
        package = version("flywheel")
    except PackageNotFoundError:
        package = "unknown"
    commit = None
    try:
        out = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
                             capture_output=True, text=True, timeout=10, check=False)
        if out.returncode == 0:
            commit = out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"git_commit": commit, "package_version": package}


def _write_json(path: Path, value: Any) -> None:
    path.write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


# --- the index of published versions ------------------------------------------------------------


def read_index(root: Path) -> list[dict[str, Any]]:
    index = root / INDEX_FILE
    if not index.exists():
        return []
    return list(orjson.loads(index.read_bytes()).get("versions", []))


def _append_index(root: Path, entry: dict[str, Any]) -> None:
    entries = [e for e in read_index(root) if e["version"] != entry["version"]] + [entry]
    scratch = root / f".{INDEX_FILE}.{os.getpid()}.tmp"
    _write_json(scratch, {"dataset": root.name, "versions": entries})
    os.replace(scratch, root / INDEX_FILE)


def _index_unlisted_versions(root: Path) -> None:
    """List the versions that a build killed between its rename and its index entry left out.

    Oldest first; a manifest is written just before its version's rename, so its mtime is the
    publication time.
    """
    listed = {e["version"] for e in read_index(root)}
    unlisted = sorted((m.stat().st_mtime, m.parent) for m in root.glob(f"{VERSION_PREFIX}*/manifest.json")
                      if m.parent.name not in listed)
    for mtime, final in unlisted:
        manifest = orjson.loads((final / "manifest.json").read_bytes())
        _append_index(root, {"version": final.name, "parent": manifest.get("parent"),
                             "content_digest": manifest.get("content_digest"),
                             "published_at": datetime.fromtimestamp(mtime, UTC).isoformat(timespec="seconds")})


def latest_version(root: Path) -> str | None:
    for entry in reversed(read_index(root)):
        if (root / entry["version"] / "manifest.json").exists():
            return str(entry["version"])
    return None


# --- the build --------------------------------------------------------------------------------------


def _manifest(config: DatasetConfig, assembly: build.Assembly, version: str, digest: str,
              file_digests: dict[str, str], parent: str | None, gate_results: list[gates.GateResult],
              rescan: str) -> dict[str, Any]:
    files = {
        path: {"sha256": file_digests[path], "bytes": None, "rows": stat.rows, "num_bytes": stat.num_bytes}
        for path, stat in assembly.files.items()
    }
    return {
        "dataset": config.name,
        "version": version,
        "content_digest": f"sha256:{digest}",
        "parent": parent,
        # every example of every kind and split, and the formats (what dashboards list)
        "examples": sum(n for splits in assembly.kept.values() for n in splits.values()),
        "format": "huggingface-parquet (sft, preference, unpaired) + openai-jsonl (chat, dpo)",
        "build_rules_version": BUILD_RULES_VERSION,
        "config": config.to_json(),
        "config_digest": config.digest(),
        "sources": assembly.sources.to_json(),
        "counts": {
            "candidates": assembly.candidates,
            "kept": assembly.kept,
            "excluded": assembly.excluded,
        },
        "stats": assembly.stats,
        "filters": {
            "success_threshold": config.success_threshold,
            "failure_threshold": config.failure_threshold,
            "pair_failure_reasons": list(config.pair_failure_reasons),
            "min_tokens": config.min_tokens,
            "max_tokens": config.max_tokens,
            "token_estimate": f"ceil(utf8_bytes / {BYTES_PER_TOKEN}) per message + {TOKENS_PER_MESSAGE} "
                              f"per message + {TOKENS_PER_REPLY}",
            "languages": list(config.languages),
            "keep_undetermined_language": config.keep_undetermined_language,
            "language_detection": "offline heuristic: dominant non-Latin script, else most common "
                                  "function words (en, es, fr, de, pt, it), else 'und'",
            "consent": "only users whose latest training_data consent is 'granted' (dim_users)",
            "exact_duplicates": "md5 of the normalised (NFC, lower case, collapsed whitespace) messages",
            "near_duplicates": assembly.lsh.to_json(),
            "eval_overlap": "train/validation examples sharing the normalised input, the whole example "
                            "or an LSH band of the final exchange with a test example are removed",
            "max_pairs_per_turn": config.max_pairs_per_turn,
            "context_turns": config.context_turns,
        },
        "splits": {"unit": config.split_unit, "salt": config.split_salt,
                   "test_fraction": config.test_fraction, "validation_fraction": config.validation_fraction},
        "files": files,
        "gates": [g.to_json() for g in gate_results],
        "privacy": {
            "scrubbing_policy_version": gates.scrubbing_policy_version(),
            "rescan": rescan,
            "pseudonyms": "HMAC-SHA256 under the home's pseudonym key, domain-separated, 96 bits",
        },
        "contract_version": contract.CONTRACT_VERSION,
        "code_version": code_version(),
    }


def _finish_staging(staged: Path, config: DatasetConfig, manifest: dict[str, Any],
                    file_digests: dict[str, str]) -> None:
    """Manifest, card, job spec and checksums: everything but the data, written last."""
    for path, entry in manifest["files"].items():
        entry["bytes"] = (staged / path).stat().st_size
    version = manifest["version"]
    training = staged / "training"
    training.mkdir()
    stages = jobspec.stage_configs(config, version)
    for stage, arguments in stages.items():
        (training / f"{stage}.yaml").write_text(jobspec.yaml_file(stage, arguments, config, version))
    launcher = training / "launch.sh"
    launcher.write_text(jobspec.LAUNCH_SH)
    launcher.chmod(0o755)
    (training / "job.json").write_bytes(jobspec.job_json(config, version, stages))
    manifest["training"] = {stage: f"training/{stage}.yaml" for stage in stages} | {"launcher": "training/launch.sh"}
    _write_json(staged / "manifest.json", manifest)
    (staged / "README.md").write_text(card.render(config, manifest))
    checked = sorted(p.relative_to(staged).as_posix() for p in staged.rglob("*")
                     if p.is_file() and p.name != "SHA256SUMS")
    digests = {p: file_digests.get(p) or file_sha256(staged / p) for p in checked}
    (staged / "SHA256SUMS").write_text("".join(f"{digests[p]}  {p}\n" for p in checked))


class _Stages:
    """Seconds spent in each stage of a build, and a callback as each one starts."""

    def __init__(self, seconds: dict[str, float], callback: Callable[[str], None] | None) -> None:
        self.seconds = seconds
        self.callback = callback
        self.current: str | None = None
        self.started = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        if self.current is not None:
            self.seconds[self.current] = round(now - self.started, 3)
        self.current, self.started = name, now
        if self.callback is not None and name != "done":
            self.callback(name)


def default_scanner(paths: FlywheelPaths, options: BuildOptions) -> gates.TextScanner | None:
    try:
        from pipelines.privacy.scrubber import lake_cache_dir

        return gates.PrivacyScanner(pseudonym_key(paths), mode=options.rescan_mode,
                                    cache_dir=paths.cache / "dataset-rescan", workers=options.scan_workers,
                                    fallback_cache_dirs=[lake_cache_dir(paths)])
    except ImportError:
        return None


def build_version(
    paths: FlywheelPaths,
    config: DatasetConfig | None = None,
    options: BuildOptions | None = None,
    *,
    upstream: gates.UpstreamGate,
    scanner: gates.TextScanner | None | str = "default",
    on_stage: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build, gate and (when every gate passes) publish one version; never raises on a gate."""
    config = config or DatasetConfig()
    options = options or BuildOptions()
    ensure_layout(paths)
    started = time.perf_counter()
    result = BuildResult(name=config.name, status="failed")
    stage = _Stages(result.stages, on_stage)
    sweep_stale_work(paths)
    owned_scanner = None
    if scanner == "default":
        scanner = owned_scanner = default_scanner(paths, options)
    try:
        with work_directory(paths) as work:
            stage("sources")
            con = build.connect(work, options, pseudonym_key(paths))
            try:
                assembly = build.assemble(con, paths, config, options, work)
                result.steps = assembly.timings
                stage("write")
                staged = work / "version"
                assembly.files = build.write_files(con, staged, config, options, work)
                file_digests = {path: file_sha256(staged / path) for path in data_files()}
                digest = content_digest(config, file_digests)
                result.version = version_id(digest)
                stage("gates")
                build.limit_memory(con, options.streaming_memory_limit)
                result.gates = run_gates(con, staged, config, assembly, scanner, upstream)
            finally:
                con.close()
            if not all(g.passed for g in result.gates):
                failed = [g.name for g in result.gates if not g.passed]
                result.error = f"gate(s) failed: {', '.join(failed)}; nothing was published"
                return result
            stage("publish")
            root = paths.datasets / config.name
            with dataset_lock(root):
                _index_unlisted_versions(root)
                final = root / result.version
                if (final / "manifest.json").exists():
                    result.status, result.path = "unchanged", final
                    result.manifest = orjson.loads((final / "manifest.json").read_bytes())
                    return result
                parent = latest_version(root)
                rescan = scanner.description if scanner is not None else "none"
                manifest = _manifest(config, assembly, result.version, digest, file_digests, parent,
                                     result.gates, rescan)
                _finish_staging(staged, config, manifest, file_digests)
                failpoint("dataset.before_publish")
                os.rename(staged, final)
                failpoint("dataset.before_index")
                _append_index(root, {"version": result.version, "parent": parent,
                                     "content_digest": manifest["content_digest"],
                                     "published_at": datetime.now(UTC).isoformat(timespec="seconds")})
            result.status, result.path, result.manifest = "published", final, manifest
            return result
    except Exception as error:
        result.status = "failed"
        result.error = f"{type(error).__name__}: {error}"
        raise
    finally:
        stage("done")
        result.seconds = time.perf_counter() - started
        if owned_scanner is not None and hasattr(owned_scanner, "close"):
            owned_scanner.close()


def run_gates(con: Any, staged: Path, config: DatasetConfig, assembly: build.Assembly,
              scanner: gates.TextScanner | None, upstream: gates.UpstreamGate) -> list[gates.GateResult]:
    train_counts = {kind: assembly.kept[kind]["train"] for kind in KINDS}
    return [
        gates.formats_gate(staged, con),
        gates.rescan_gate(con, staged, scanner),
        gates.consent_gate(con, staged),
        gates.splits_gate(con, staged),
        gates.eval_overlap_gate(con, staged),
        gates.min_examples_gate(config, train_counts),
        upstream(),
    ]


def total_rows(manifest: dict[str, Any]) -> int:
    return sum(manifest["counts"]["kept"][k][s] for k in KINDS for s in SPLITS)
