"""The franz-go anchor: the same scenario in Go (``benchmarks/franz/``), built with the machine's Go."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from pauseable_testing.broker.jars import cache_dir

#: the strategies the Go program implements
STRATEGIES = ("continue", "seek-to-end", "discard-until")
#: the slow-sink loops it implements (``-scenario slow-sink``)
SLOW_SINK_LOOPS = ("naive", "hand-written")
#: ... and in the scenario of a resume while other partitions fetch (``-scenario fetching``)
FETCHING_STRATEGIES = ("seek-to-end", "discard-until", "skip-pause-window")
SOURCE = Path(__file__).resolve().parents[2] / "benchmarks" / "franz"


def build() -> Path | None:
    """The franz-go benchmark binary, built once per source version; None without Go or the source."""
    go = shutil.which("go")
    if go is None or not (SOURCE / "main.go").is_file():
        return None
    sources = [SOURCE / "go.mod", SOURCE / "go.sum", *sorted(SOURCE.glob("*.go"))]
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in sources))
    binary = cache_dir() / "franz-bench" / digest.hexdigest()[:16] / "franz-bench"
    if not binary.is_file():
        binary.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([go, "build", "-o", str(binary), "."], cwd=SOURCE, check=True, capture_output=True, timeout=600)
    return binary


def sample(binary: Path, config: dict[str, Any]) -> dict[str, Any]:
    """One sample of the Go program (the same fields as :func:`pauseable_bench.worker.sample`)."""
    args = [
        str(binary), "-bootstrap", config["bootstrap"], "-topic", config["topic"], "-backlog", str(config["backlog"]),
        "-record-size", str(config["record_size"]), "-strategy", config["strategy"],
    ]  # fmt: skip
    return _run(args, config)


def fetching_sample(binary: Path, config: dict[str, Any]) -> dict[str, Any]:
    """The scenario of :mod:`pauseable_bench.fetching` in Go (the same fields as its sample)."""
    strategies = [s for s in config["strategies"] if s in FETCHING_STRATEGIES]
    args = [
        str(binary), "-scenario", "fetching", "-bootstrap", config["bootstrap"], "-topic", config["topic"],
        "-backlog", str(config["backlog"]), "-repeats", str(config["repeats"]), "-strategies", ",".join(strategies),
    ]  # fmt: skip
    return _run(args, config)


def _run(args: list[str], config: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"franz-go sample {config} failed:\n{result.stderr[-2000:]}")
    loaded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def poll_latency(binary: Path, config: dict[str, Any]) -> dict[str, Any]:
    """franz-go's poll-latency sample (the fields of :func:`pauseable_bench.poll_latency.sample`, side native)."""
    args = [
        str(binary), "-scenario", "poll-latency", "-bootstrap", config["bootstrap"], "-topic", config["topic"],
        "-tries", str(config["tries"]), "-timeout", f"{config['timeout_s']}s", "-settle", f"{config['settle_s']}s",
    ]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"franz-go poll-latency sample {config} failed:\n{result.stderr[-2000:]}")
    loaded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def scale(binary: Path, config: dict[str, Any]) -> dict[str, Any]:
    """franz-go's control calls at scale (the fields of :func:`pauseable_bench.scale.sample`, side native)."""
    args = [
        str(binary), "-scenario", "scale", "-bootstrap", config["bootstrap"], "-topic", config["topic"],
        "-partitions", str(config["partitions"]), "-repeats", str(config["repeats"]),
        "-windows", str(config["count_windows"]), "-settle", f"{config['settle_s']}s",
    ]  # fmt: skip
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"franz-go scale sample {config} failed:\n{result.stderr[-2000:]}")
    loaded: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def slow_sink(binary: Path, config: dict[str, Any]) -> dict[str, Any]:
    """franz-go's slow-sink loops, naive and hand-written (the fields of :func:`pauseable_bench.slow_sink.sample`)."""
    args = [
        str(binary), "-scenario", "slow-sink", "-bootstrap", config["bootstrap"], "-topic", config["topic"],
        "-group", config["group"], "-loop", config["loop"], "-records", str(config["records"]),
        "-batch", str(config["batch"]), "-record-size", str(config["record_size"]),
    ]  # fmt: skip
    return _run(args, config)
