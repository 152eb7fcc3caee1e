"""What pauseable costs: summaries, terminal tables and Markdown of the overhead, throughput and
poll-latency runs.

The raw samples come from :mod:`pauseable_bench.overhead` (one per backend),
:mod:`pauseable_bench.throughput` (one per backend, side and repeat) and
:mod:`pauseable_bench.poll_latency` (one per backend, and franz-go's).
"""

from __future__ import annotations

import statistics
from typing import Any

from rich.table import Table

from pauseable_bench.overhead import OPERATIONS

#: the issue's target for the hot path: pauseable's poll loop delivers at least this share of the raw rate
THROUGHPUT_TARGET = 0.95
#: the issue's target for a poll with a record ready: pauseable's median, in ms, on every backend
POLL_LATENCY_TARGET_MS = 10.0


def overhead_summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend and operation: median µs per call on each side, µs added, ratio, broker requests."""
    rows = []
    for sample in samples:
        times: dict[tuple[str, str], list[float]] = {}
        for t in sample["timings"]:
            times.setdefault((t["operation"], t["side"]), []).append(t["us_per_call"])
        trips = {(r["operation"], r["side"]): r for r in sample["round_trips"]}
        for operation in OPERATIONS:
            if (operation, "pauseable") not in times:
                continue
            ours = statistics.median(times[operation, "pauseable"])
            theirs = statistics.median(times[operation, "native"])
            eagers = times.get((operation, "native-eager"))
            eager = statistics.median(eagers) if eagers else None
            counted = operation if operation in ("pause", "resume", "seek-to-end", "committed") else None
            rows.append(
                {
                    "backend": sample["backend"],
                    "operation": operation,
                    "pauseable_us": ours,
                    "native_us": theirs,
                    "added_us": ours - theirs,
                    "ratio": ours / theirs,
                    "native_eager_us": eager,
                    "added_vs_eager_us": None if eager is None else ours - eager,
                    "ratio_vs_eager": None if eager is None else ours / eager,
                    "round_trips": {
                        side: trips[counted, side]["per_call"] if counted and (counted, side) in trips else None
                        for side in ("pauseable", "native", "native-eager")
                    },
                    "requests": {
                        side: trips[counted, side]["requests"]
                        for side in ("pauseable", "native", "native-eager")
                        if counted and (counted, side) in trips
                    },
                }
            )
    return rows


def throughput_summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend: median records/s of each side, the median of the paired ratios, CPU of client and broker."""
    by: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for s in samples:
        by.setdefault(s["backend"], {}).setdefault(s["side"], []).append(s)
    rows = []
    for backend, sides in sorted(by.items()):
        ours, raw = sides.get("pauseable", []), sides.get("raw", [])
        if not ours or not raw:
            continue
        # repeat i of each side ran back to back: their ratio is the least disturbed by the machine's drift
        ratio = statistics.median(o["records_per_s"] / r["records_per_s"] for o, r in zip(ours, raw, strict=False))
        rows.append(
            {
                "backend": backend,
                "runs": min(len(ours), len(raw)),
                "pauseable_records_per_s": _median(ours, "records_per_s"),
                "raw_records_per_s": _median(raw, "records_per_s"),
                "ratio": ratio,
                "target": THROUGHPUT_TARGET,
                "meets_target": ratio >= THROUGHPUT_TARGET,
                "pauseable_cpu_us_per_record": _median(ours, "cpu_us_per_record"),
                "raw_cpu_us_per_record": _median(raw, "cpu_us_per_record"),
                "cpu_ratio": _median(ours, "cpu_us_per_record") / _median(raw, "cpu_us_per_record"),
                "pauseable_cpu_s": _median(ours, "cpu_s"),
                "raw_cpu_s": _median(raw, "cpu_s"),
                "pauseable_broker_cpu_s": _median(ours, "broker_cpu_s"),
                "raw_broker_cpu_s": _median(raw, "broker_cpu_s"),
            }
        )
    return rows


def poll_latency_summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend: median and p95 ms of a poll with a record ready, pauseable and native; franz-go's beside."""
    franz = next((s for s in samples if s["backend"] == "franz-go"), None)
    franz_ms = [t["ms"] for t in franz["timings"]] if franz else []
    rows = []
    for sample in sorted(samples, key=lambda s: (s["backend"] == "franz-go", s["backend"])):
        sides: dict[str, list[dict[str, Any]]] = {}
        for t in sample["timings"]:
            sides.setdefault(t["side"], []).append(t)
        ours = [t["ms"] for t in sides.get("pauseable", [])]
        theirs = [t["ms"] for t in sides.get("native", [])]
        p50 = statistics.median(ours) if ours else None
        rows.append(
            {
                "backend": sample["backend"],
                "timeout_s": sample["timeout_s"],
                "tries": sample["tries"],
                "pauseable_p50_ms": p50,
                "pauseable_p95_ms": _p95(ours),
                "native_p50_ms": statistics.median(theirs) if theirs else None,
                "native_p95_ms": _p95(theirs),
                "ratio": p50 / statistics.median(theirs) if p50 is not None and theirs else None,
                "franz_go_p50_ms": statistics.median(franz_ms) if franz_ms else None,
                "franz_go_p95_ms": _p95(franz_ms),
                "min_records": min((t["records"] for t in sample["timings"]), default=0),
                "target_ms": POLL_LATENCY_TARGET_MS,
                "meets_target": None if p50 is None else p50 < POLL_LATENCY_TARGET_MS,
            }
        )
    return rows


def _p95(values: list[float]) -> float | None:
    """The 95th percentile, nearest rank (the largest value for fewer than 20)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * (len(ordered) - 1))))]


def _median(samples: list[dict[str, Any]], key: str) -> Any:
    values = [s[key] for s in samples if s[key] is not None]
    return statistics.median(values) if values else None


def overhead_table(summary: list[dict[str, Any]]) -> Table:
    out = Table(title="control calls: µs per call (median), pauseable vs the native call, broker requests per call")
    for column in ("backend", "operation", "pauseable", "native", "added", "ratio", "native eager", "vs eager",
                   "requests p/n/e"):  # fmt: skip
        out.add_column(column, justify="left" if column in ("backend", "operation") else "right", no_wrap=True)
    for r in summary:
        out.add_row(
            r["backend"], r["operation"], _us(r["pauseable_us"]), _us(r["native_us"]), _us(r["added_us"]),
            f"{r['ratio']:.2f}x", _us(r["native_eager_us"]),
            "-" if r["ratio_vs_eager"] is None else f"{r['ratio_vs_eager']:.2f}x", _trips(r["round_trips"]),
        )  # fmt: skip
    return out


def throughput_table(summary: list[dict[str, Any]]) -> Table:
    out = Table(title=f"poll loop: records/s (median), pauseable / raw (target ≥ {THROUGHPUT_TARGET:.2f})")
    for column in ("backend", "raw", "pauseable", "ratio", "target", "client CPU µs/rec raw/pauseable",
                   "broker CPU raw/pauseable"):  # fmt: skip
        out.add_column(column, justify="left" if column == "backend" else "right", no_wrap=True)
    for r in summary:
        out.add_row(
            r["backend"], f"{r['raw_records_per_s']:,.0f}", f"{r['pauseable_records_per_s']:,.0f}",
            f"{r['ratio']:.2f}", "met" if r["meets_target"] else "missed",
            f"{r['raw_cpu_us_per_record']:.2f} / {r['pauseable_cpu_us_per_record']:.2f}",
            f"{_seconds(r['raw_broker_cpu_s'])} / {_seconds(r['pauseable_broker_cpu_s'])}",
        )  # fmt: skip
    return out


def poll_latency_table(summary: list[dict[str, Any]]) -> Table:
    out = Table(title=f"poll with a record ready: ms per call (median / p95), target < {POLL_LATENCY_TARGET_MS:.0f} ms")
    for column in ("backend", "pauseable", "native", "franz-go", "timeout", "target"):
        out.add_column(column, justify="left" if column == "backend" else "right", no_wrap=True)
    for r in summary:
        out.add_row(
            r["backend"], _ms_pair(r["pauseable_p50_ms"], r["pauseable_p95_ms"]),
            _ms_pair(r["native_p50_ms"], r["native_p95_ms"]), _ms_pair(r["franz_go_p50_ms"], r["franz_go_p95_ms"]),
            f"{r['timeout_s']:g} s", _met(r["meets_target"]),
        )  # fmt: skip
    return out


def markdown(document: dict[str, Any]) -> str:
    """The overhead, throughput and poll-latency sections of ``bench.md`` (empty when the run had none)."""
    lines: list[str] = []
    overhead = document.get("overhead", {}).get("summary", [])
    if overhead:
        config = document["config"]
        lines += [
            "",
            f"Control calls: µs per call, median of {config['overhead_repeats']} runs of "
            f"{config['overhead_calls']:,} warm calls each, in one process per backend; pauseable's call against the "
            "client's own (seek-to-end: also against doing it eagerly by hand, end-offset lookup then seek). "
            "seek-to-end and committed on a paused partition; seek-to-end-fetching on a fetching one. "
            "Broker requests per call (Fetch left out): pauseable / native / native eager.",
            "",
            "| backend | operation | pauseable | native | added | ratio | native eager | vs eager | requests |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in overhead:
            lines.append(
                f"| {r['backend']} | {r['operation']} | {_us(r['pauseable_us'])} | {_us(r['native_us'])} | "
                f"{_us(r['added_us'])} | {r['ratio']:.2f}x | {_us(r['native_eager_us'])} | "
                f"{'-' if r['ratio_vs_eager'] is None else format(r['ratio_vs_eager'], '.2f') + 'x'} | "
                f"{_trips(r['round_trips'])} |"
            )
    throughput = document.get("throughput", {}).get("summary", [])
    if throughput:
        config = document["config"]
        lines += [
            "",
            f"Poll loop: {config['throughput_records']:,} records of {config['throughput_record_size']} B consumed "
            f"{config['max_records']} at a time, {config['throughput_repeats']} runs per side, one process each, "
            f"alternated; ratio = median of the paired pauseable/raw rates (target ≥ {THROUGHPUT_TARGET:.2f}). CPU "
            "over the timed loop: the client process, and the broker process apart.",
            "",
            "| backend | raw records/s | pauseable records/s | ratio | target | client CPU µs/record raw / pauseable "
            "| broker CPU raw / pauseable |",
            "|---|---:|---:|---:|---|---:|---:|",
        ]
        for r in throughput:
            lines.append(
                f"| {r['backend']} | {r['raw_records_per_s']:,.0f} | {r['pauseable_records_per_s']:,.0f} | "
                f"{r['ratio']:.2f} | {'met' if r['meets_target'] else 'missed'} | "
                f"{r['raw_cpu_us_per_record']:.2f} / {r['pauseable_cpu_us_per_record']:.2f} | "
                f"{_seconds(r['raw_broker_cpu_s'])} / {_seconds(r['pauseable_broker_cpu_s'])} |"
            )
    polls = document.get("poll_latency", {}).get("summary", [])
    if polls:
        config = document["config"]
        lines += [
            "",
            "Poll with a record ready: ms from the call to its return, "
            f"`poll({config['poll_latency_timeout_s']:g}, 500)` with one record fetched "
            f"({config['poll_latency_settle_s']:g} s after it was produced), median / p95 of "
            f"{config['poll_latency_tries']} tries per side, one warm consumer per backend, sides alternated; native: "
            "the client's own call on the same consumer (confluent-kafka `consume(500, timeout)`, kafka-python "
            "`poll`, aiokafka `getmany`); franz-go `PollRecords(ctx, 500)` beside each as the anchor. "
            f"Target: pauseable's median under {POLL_LATENCY_TARGET_MS:.0f} ms.",
            "",
            "| backend | pauseable | native | franz-go | target |",
            "|---|---:|---:|---:|---|",
        ]
        for r in polls:
            if r["backend"] == "franz-go":
                continue  # beside every row
            lines.append(
                f"| {r['backend']} | {_ms_pair(r['pauseable_p50_ms'], r['pauseable_p95_ms'])} | "
                f"{_ms_pair(r['native_p50_ms'], r['native_p95_ms'])} | "
                f"{_ms_pair(r['franz_go_p50_ms'], r['franz_go_p95_ms'])} | {_met(r['meets_target'])} |"
            )
    return "\n".join(lines) + ("\n" if lines else "")


def _ms_pair(p50: float | None, p95: float | None) -> str:
    if p50 is None:
        return "-"
    return f"{_ms(p50)} / {_ms(p95)}"


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} ms" if abs(value) >= 100 else f"{value:.2f} ms" if abs(value) < 1 else f"{value:.1f} ms"


def _met(meets: bool | None) -> str:
    return "-" if meets is None else "met" if meets else "missed"


def _us(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f} µs" if abs(value) >= 100 else f"{value:.1f} µs"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _trips(trips: dict[str, int | None]) -> str:
    if all(v is None for v in trips.values()):
        return "-"
    return " / ".join("-" if v is None else str(v) for v in trips.values())
