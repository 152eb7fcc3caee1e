"""``pauseable bench``: skip strategies by backends by backlog sizes, on a real broker; then what
pauseable costs: control-call overhead, poll-loop throughput and the latency of a poll with a record
ready, against the native clients; control calls of 10 to 1,000 partitions at once; a resume while
other partitions of the same broker keep fetching, against the same resume when idle; and a slow sink: the
naive loop, a hand-written pause/resume per batch and a flow with backpressure.

Each sample runs in a fresh process (:mod:`pauseable_bench.worker`, :mod:`~pauseable_bench.overhead`,
:mod:`~pauseable_bench.throughput`, :mod:`~pauseable_bench.poll_latency`, :mod:`~pauseable_bench.scale`,
:mod:`~pauseable_bench.fetching`, :mod:`~pauseable_bench.slow_sink`) so its CPU time and peak memory are that
consumer's alone; the broker's CPU is read apart. Results: terminal tables, and a JSON file with the machine, the
versions, the configuration and every raw sample (``schema`` 6, described in ``benchmarks/README.md``).
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from pauseable import __version__
from pauseable.registry import backends
from pauseable.strategies import ALL_STRATEGIES
from pauseable_bench import anchor, costs, fetching, plots, plugin_cost, propagation, scale, slow_sink
from pauseable_bench.cpu import broker_pids
from pauseable_bench.samples import FRANZ_GO, Run, on_fresh_topic, runners, take
from pauseable_bench.stats import percentile
from pauseable_testing.broker import KAFKA_VERSION, create_topic, running_cluster
from pauseable_testing.cluster import unique_name
from pauseable_testing.harness import Producer

SCHEMA = 7
#: what a run can measure (``pauseable bench --section``)
SECTIONS = (
    "latency", "overhead", "throughput", "poll-latency", "scale", "fetching", "slow-sink", "plugins", "group-pauses",
)  # fmt: skip
#: the strategies that skip, whose resume makes offset lookups
SKIPPING = tuple(s for s in ALL_STRATEGIES if s != "continue")


@dataclass
class Profile:
    """What one run measures."""

    backends: list[str]
    strategies: list[str] = field(default_factory=lambda: list(ALL_STRATEGIES))
    backlogs: list[int] = field(default_factory=lambda: [1_000, 100_000])
    record_sizes: list[int] = field(default_factory=lambda: [100])
    repeats: int = 3
    #: also run franz-go (the Go client the idea comes from) on the same scenario, as the anchor
    anchor: bool = True
    #: control calls: warm calls per timed run, runs per side, single-call windows counting requests
    overhead_calls: int = 200
    overhead_repeats: int = 5
    count_windows: int = 5
    #: poll loop: records consumed per run (a multiple of max_records), their size, runs per side
    throughput_records: int = 200_000
    throughput_record_size: int = 100
    throughput_repeats: int = 5
    max_records: int = 500
    #: poll with a record ready: timed polls per side, each poll's timeout, the wait for the record's fetch
    poll_latency_tries: int = 10
    poll_latency_timeout_s: float = 1.0
    poll_latency_settle_s: float = 0.3
    #: control calls at scale: partitions per topic (one size each), timed cycles per side, cycles counting
    #: requests, the rest after a pause or a resume (longer than the clients' 500 ms long-poll fetch wait)
    scale_partitions: list[int] = field(default_factory=lambda: [10, 100, 1_000])
    scale_repeats: int = 5
    scale_windows: int = 3
    scale_settle_s: float = 0.7
    #: a resume while other partitions fetch: strategies, runs per strategy and condition, records skipped
    fetching_strategies: list[str] = field(default_factory=lambda: list(SKIPPING))
    fetching_repeats: int = 5
    fetching_backlog: int = 100
    #: a slow sink (sync backends): records on the topic, their size, the batch a poll takes (issue 12)
    slow_sink_records: int = 4_500
    slow_sink_record_size: int = 1_000
    slow_sink_batch: int = slow_sink.BATCH
    #: the metrics plugins against none (issue 15): records of the poll loop, pause + resume pairs, repeats
    plugins_records: int = 300_000
    plugins_calls: int = 2_000
    plugins_repeats: int = 5
    #: group pauses (issue 13): pause/resume tries on a three-node cluster of its own, three member processes
    group_pause_tries: int = 100
    #: which parts run (all by default)
    sections: list[str] = field(default_factory=lambda: list(SECTIONS))

    @classmethod
    def quick(cls, backends: list[str]) -> Profile:
        return cls(backends)

    @classmethod
    def full(cls, backends: list[str]) -> Profile:
        return cls(
            backends, backlogs=[1_000, 100_000, 1_000_000], record_sizes=[100, 1024], repeats=5,
            overhead_calls=1_000, overhead_repeats=7, count_windows=7, throughput_records=1_000_000,
            poll_latency_tries=20, scale_repeats=9, fetching_repeats=7,
        )  # fmt: skip

    @classmethod
    def tiny(cls, backends: list[str]) -> Profile:
        """For the test of the machinery: seconds, not minutes."""
        return cls(
            backends, backlogs=[200], repeats=1, anchor=False, overhead_calls=20, overhead_repeats=1,
            count_windows=3, throughput_records=5_000, throughput_repeats=1, poll_latency_tries=2,
            poll_latency_timeout_s=0.5, scale_partitions=[10], scale_repeats=1, scale_windows=2, scale_settle_s=0.1,
            fetching_strategies=["seek-to-end"], fetching_repeats=1, slow_sink_records=300, slow_sink_batch=100,
            plugins_records=2_000, plugins_calls=50, plugins_repeats=1, group_pause_tries=3,
        )  # fmt: skip


def summarize(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Medians and p99 per (backend, strategy, backlog, record size)."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for s in samples:
        groups.setdefault((s["backend"], s["strategy"], s["backlog"], s["record_size"]), []).append(s)
    rows = []
    for (backend, strategy, backlog, size), group in sorted(groups.items()):
        latencies = [s["latency_s"] for s in group]
        rows.append(
            {
                "backend": backend,
                "strategy": strategy,
                "backlog": backlog,
                "record_size": size,
                "runs": len(group),
                "latency_p50_s": statistics.median(latencies),
                "latency_p99_s": percentile(latencies, 0.99),
                "stale_delivered_max": max(s["stale_delivered"] for s in group),
                "bytes_fetched_p50": statistics.median(s["bytes_fetched"] for s in group),
                "records_fetched_p50": statistics.median(s["records_fetched"] for s in group),
                "cpu_p50_s": statistics.median(s["cpu_s"] for s in group),
                "broker_cpu_p50_s": _median_known(s.get("broker_cpu_s") for s in group),
                "resume_p50_s": statistics.median(s["resume_s"] for s in group),
                "max_rss_kb_p50": statistics.median(s["max_rss_kb"] for s in group),
            }
        )
    return rows


def _median_known(values: Any) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _versions() -> dict[str, Any]:
    found = backends()
    return {
        "pauseable": __version__,
        "kafka": KAFKA_VERSION,
        "python": platform.python_version(),
        "clients": {b.client: b.client_version for b in found.values()},
    }


def _machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "machine": platform.machine()}


def run(profile: Profile, out_dir: Path, console: Console | None = None) -> dict[str, Any]:
    """Run every sample of ``profile``, write ``out_dir/bench.json`` and print the table."""
    # Not a terminal (a file, a pipe, CI): rich would cut tables to 80 columns; keep them whole.
    console = console or (Console() if Console().is_terminal else Console(width=240))
    franz = anchor.build() if profile.anchor else None
    if profile.anchor and franz is None:
        console.print("franz-go anchor skipped: needs `go` on PATH and benchmarks/franz/ (a source checkout)")
    began = time.time()
    with running_cluster() as bootstrap, Progress(console=Console(stderr=True), transient=True) as progress:
        pids = broker_pids(bootstrap)
        samples = _latency(profile, bootstrap, pids, franz, progress) if "latency" in profile.sections else []
        overhead = _overhead(profile, bootstrap, pids, progress) if "overhead" in profile.sections else []
        throughput = _throughput(profile, bootstrap, pids, progress) if "throughput" in profile.sections else []
        polls = _poll_latency(profile, bootstrap, franz, progress) if "poll-latency" in profile.sections else []
        scaled = (
            scale.run(
                profile.backends, profile.scale_partitions, profile.scale_repeats, profile.scale_windows,
                profile.scale_settle_s, bootstrap, franz, progress,
            )
            if "scale" in profile.sections
            else []
        )  # fmt: skip
        during = _fetching(profile, bootstrap, franz, progress) if "fetching" in profile.sections else []
        sunk = (
            take(progress, "slow sink", "pauseable_bench.slow_sink", slow_sink.runs(
                bootstrap, profile.backends, profile.slow_sink_records, profile.slow_sink_record_size,
                profile.slow_sink_batch, franz is not None,
            ), franz, anchor.slow_sink)
            if "slow-sink" in profile.sections
            else []
        )  # fmt: skip
        metered = (
            take(progress, "metrics plugins", "pauseable_bench.plugin_cost", plugin_cost.runs(
                bootstrap, profile.backends, profile.plugins_records, profile.plugins_calls, profile.plugins_repeats,
            ))
            if "plugins" in profile.sections
            else []
        )  # fmt: skip
        spread = (
            propagation.run(profile.backends, profile.group_pause_tries, progress)
            if "group-pauses" in profile.sections
            else []
        )
    summary = summarize(samples)
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "started": began,
        "took_s": time.time() - began,
        "machine": _machine(),
        "versions": _versions(),
        "config": asdict(profile),
        "broker": {"pids": pids, "cpu_source": "/proc/PID/stat utime+stime" if pids else None},
        "samples": samples,
        "summary": summary,
        "overhead": {"samples": overhead, "summary": costs.overhead_summary(overhead)},
        "throughput": {"samples": throughput, "summary": costs.throughput_summary(throughput)},
        "poll_latency": {"samples": polls, "summary": costs.poll_latency_summary(polls)},
        "scale": scale.section(scaled),
        "fetching": {"samples": during, "summary": fetching.summary(during)},
        "slow_sink": {"samples": sunk, "summary": slow_sink.summary(sunk)},
        "plugins": {"samples": metered, "summary": plugin_cost.summary(metered)},
        "group_pauses": {"samples": spread, "summary": propagation.summary(spread)},
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(document, indent=2) + "\n")
    (out_dir / "bench.md").write_text(markdown(document))
    if samples:
        written = plots.write(document, out_dir)
        for path in written:
            console.print(f"plot: {path}")
        if not written:
            console.print("plots skipped: matplotlib is not installed (pip install matplotlib)")
        console.print(table(summary))
    else:
        console.print("plots skipped: they draw the latency section, which this run left out")
    if overhead:
        console.print(costs.overhead_table(document["overhead"]["summary"]))
    if throughput:
        console.print(costs.throughput_table(document["throughput"]["summary"]))
    if polls:
        console.print(costs.poll_latency_table(document["poll_latency"]["summary"]))
    if scaled:
        console.print(scale.table(document["scale"]["summary"]))
    if during:
        console.print(fetching.table(document["fetching"]["summary"]))
    if sunk:
        console.print(slow_sink.table(document["slow_sink"]["summary"]))
    if metered:
        console.print(plugin_cost.table(document["plugins"]["summary"]))
    if spread:
        console.print(propagation.table(document["group_pauses"]["summary"]))
    console.print(f"raw samples and summary: {out_dir / 'bench.json'}")
    return document


def _latency(
    profile: Profile, bootstrap: str, pids: list[int], franz: Path | None, progress: Progress
) -> list[dict[str, Any]]:
    """Resume → first fresh record: every backlog, record size, backend (franz-go's strategies) and repeat."""
    runs = [
        Run(backend, f"{strategy} backlog={backlog:,}", on_fresh_topic(
            bootstrap, f"bench-{backend}-{strategy}", backend=backend, strategy=strategy, backlog=backlog,
            record_size=size, broker_pids=pids,
        ))
        for backlog in profile.backlogs
        for size in profile.record_sizes
        for backend in runners(profile.backends, franz)
        for strategy in profile.strategies
        if backend != FRANZ_GO or strategy in anchor.STRATEGIES
        for _ in range(profile.repeats)
    ]  # fmt: skip
    return take(progress, "benchmark", "pauseable_bench.worker", runs, franz, anchor.sample)


def _overhead(profile: Profile, bootstrap: str, pids: list[int], progress: Progress) -> list[dict[str, Any]]:
    """One control-call overhead sample per backend."""
    runs = [
        Run(backend, "control calls", on_fresh_topic(
            bootstrap, f"overhead-{backend}", backend=backend, calls=profile.overhead_calls,
            repeats=profile.overhead_repeats, count_windows=profile.count_windows, broker_pids=pids,
        ))
        for backend in profile.backends
    ]  # fmt: skip
    return take(progress, "control calls", "pauseable_bench.overhead", runs)


def _throughput(profile: Profile, bootstrap: str, pids: list[int], progress: Progress) -> list[dict[str, Any]]:
    """Poll-loop samples: per repeat and backend, pauseable and raw back to back (alternating who goes first)."""
    topic = unique_name("throughput")
    create_topic(bootstrap, topic, partitions=1)
    producer = Producer(bootstrap)
    try:
        producer.produce_bulk(topic, profile.throughput_records, profile.throughput_record_size, b"", 0)
    finally:
        producer.close()
    config = {"bootstrap": bootstrap, "topic": topic, "records": profile.throughput_records,
              "max_records": profile.max_records, "broker_pids": pids}  # fmt: skip
    runs = [
        (repeat, Run(backend, f"poll loop ({side})", {**config, "backend": backend, "side": side}))
        for repeat in range(profile.throughput_repeats)
        for backend in profile.backends
        for side in (("pauseable", "raw") if repeat % 2 == 0 else ("raw", "pauseable"))
    ]
    found = take(progress, "poll loop", "pauseable_bench.throughput", [run for _, run in runs])
    return [{**sample, "repeat": repeat} for sample, (repeat, _) in zip(found, runs, strict=True)]


def _poll_latency(profile: Profile, bootstrap: str, franz: Path | None, progress: Progress) -> list[dict[str, Any]]:
    """One poll-latency sample per backend (pauseable and native); franz-go's beside."""
    runs = [
        Run(backend, "poll with a record ready", on_fresh_topic(
            bootstrap, f"poll-latency-{backend}", backend=backend, tries=profile.poll_latency_tries,
            timeout_s=profile.poll_latency_timeout_s, settle_s=profile.poll_latency_settle_s,
        ))
        for backend in runners(profile.backends, franz)
    ]  # fmt: skip
    return take(progress, "poll with a record ready", "pauseable_bench.poll_latency", runs, franz, anchor.poll_latency)


def _fetching(profile: Profile, bootstrap: str, franz: Path | None, progress: Progress) -> list[dict[str, Any]]:
    """A resume while other partitions fetch: one process per backend, then franz-go's (for its strategies)."""
    franz_runs = any(s in anchor.FETCHING_STRATEGIES for s in profile.fetching_strategies)
    runs = [
        Run(backend, "resume while fetching", on_fresh_topic(
            bootstrap, f"fetching-{backend}", partitions=2, backend=backend, strategies=profile.fetching_strategies,
            repeats=profile.fetching_repeats, backlog=profile.fetching_backlog,
        ))
        for backend in runners(profile.backends, franz if franz_runs else None)
    ]  # fmt: skip
    return take(progress, "resume while fetching", "pauseable_bench.fetching", runs, franz, anchor.fetching_sample)


def markdown(document: dict[str, Any]) -> str:
    """The summary as a Markdown table (one row per backlog and backend), with its conditions."""
    if not document["summary"]:
        return (
            costs.markdown(document)
            + scale.markdown(document.get("scale", {}), document["config"])
            + fetching.markdown(document)
            + slow_sink.markdown(document.get("slow_sink", {}).get("summary", []), document["config"])
            + plugin_cost.markdown(document.get("plugins", {}).get("summary", []), document["config"])
            + propagation.markdown(document.get("group_pauses", {}).get("summary", []))
        )
    config, summary = document["config"], document["summary"]
    strategies = [s for s in ALL_STRATEGIES if any(r["strategy"] == s for r in summary)]
    by = {(r["backlog"], r["record_size"], r["backend"], r["strategy"]): r for r in summary}
    franz = {(r["backlog"], r["record_size"]): r["latency_p50_s"] for r in summary
             if r["backend"] == "franz-go" and r["strategy"] == "seek-to-end"}  # fmt: skip
    lines = [
        f"Profile: backlogs {', '.join(f'{b:,}' for b in config['backlogs'])}; {config['repeats']} repeats; "
        f"Kafka {document['versions']['kafka']}; {document['machine']['cpus']} cores shared by the broker and the "
        f"clients; run took {document['took_s']:.0f} s. Each cell: resume → first fresh record (median, and "
        "x franz-go's seek-to-end median) · bytes fetched to get past the backlog · stale records delivered (max).",
        "",
        "| backlog | backend | " + " | ".join(strategies) + " |",
        "|---:|---|" + "---:|" * len(strategies),
    ]
    backends = sorted({r["backend"] for r in summary}, key=lambda b: (b == "franz-go", b))
    for backlog in config["backlogs"]:
        for size in config["record_sizes"]:
            for backend in backends:
                cells = []
                for strategy in strategies:
                    r = by.get((backlog, size, backend, strategy))
                    if r is None:
                        cells.append("-")
                        continue
                    base = franz.get((backlog, size))
                    ratio = f" ({r['latency_p50_s'] / base:.1f}x)" if base else ""
                    cells.append(
                        f"{r['latency_p50_s'] * 1000:.0f} ms{ratio} · {_bytes(r['bytes_fetched_p50'])}"
                        f" · {r['stale_delivered_max']}"
                    )
                lines.append(f"| {backlog:,} | {backend} | " + " | ".join(cells) + " |")
    return (
        "\n".join(lines)
        + "\n"
        + costs.markdown(document)
        + scale.markdown(document.get("scale", {}), config)
        + fetching.markdown(document)
        + slow_sink.markdown(document.get("slow_sink", {}).get("summary", []), config)
        + plugin_cost.markdown(document.get("plugins", {}).get("summary", []), config)
        + propagation.markdown(document.get("group_pauses", {}).get("summary", []))
    )


def table(summary: list[dict[str, Any]]) -> Table:
    """Medians by backend and strategy; latency also as a ratio to franz-go's seek-to-end (the anchor)."""
    franz = {
        (r["backlog"], r["record_size"]): r["latency_p50_s"]
        for r in summary
        if r["backend"] == "franz-go" and r["strategy"] == "seek-to-end"
    }
    out = Table(title="resume → first fresh record (medians; p99 over the repeats)")
    for column in ("backlog", "backend", "strategy", "latency p50", "p99", "vs franz-go", "stale", "fetched",
                   "CPU p50", "broker CPU", "resume call"):  # fmt: skip
        out.add_column(column, justify="left" if column in ("backend", "strategy") else "right", no_wrap=True)
    for r in summary:
        base = franz.get((r["backlog"], r["record_size"]))
        ratio = f"{r['latency_p50_s'] / base:.1f}" if base else "-"
        out.add_row(
            f"{r['backlog']:,}", r["backend"], r["strategy"],
            f"{r['latency_p50_s'] * 1000:.1f} ms", f"{r['latency_p99_s'] * 1000:.1f} ms", ratio,
            str(r["stale_delivered_max"]), _bytes(r["bytes_fetched_p50"]),
            f"{r['cpu_p50_s'] * 1000:.0f} ms", _ms(r.get("broker_cpu_p50_s")), f"{r['resume_p50_s'] * 1000:.1f} ms",
        )  # fmt: skip
    return out


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
