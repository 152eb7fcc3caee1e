"""What the metrics plugins cost: control calls and the poll loop with each plugin against none (issue 15).

``python -m pauseable_bench.plugin_cost '{"bootstrap": ..., "backend": ..., "topic": T, "records": N,
"calls": C, "repeats": R}'`` prints one JSON object; ``python -m pauseable_bench.plugin_cost [BACKEND ...]`` runs
every backend in a fresh process on the local broker and prints the table (markdown). The ``plugins`` section of
``pauseable bench`` runs the same samples (:func:`run`).

One process per backend, one warm controller on a one-partition topic holding ``records`` records of 100 B. The
process loads no plugin but its backend (``PAUSEABLE_PLUGINS``); each variant registers its plugin with the plugin
manager and takes it out again, so all are measured on the same consumer, in turn, ``repeats`` times (the order
rotating): ``none``; ``placebo`` (nothing registered either: the run's noise floor); ``prometheus``
(``pauseable_prometheus``, the default registry, scraped every second on a thread of its own); ``opentelemetry``
(``pauseable_opentelemetry`` under the SDK's ``MeterProvider`` with a periodic reader collecting every second
into an exporter that drops it, as a user has it: the API alone records nothing). A plugin not installed is left out.

- control calls: ``calls`` pause + resume pairs of the partition (no strategy: no broker request), the variants
  interleaved in blocks; µs per call (wall) and the calling thread's CPU µs per call, where the hooks run: the
  figure is what the plugin adds to that (target: at most 10 µs), which the wall time, waiting on the client's
  threads, cannot resolve; and, in separate blocks, the CPU spent inside the hook calls themselves (pluggy's
  ``add_hookcall_monitoring``), whose difference to ``none`` is the plugin's own cost measured in place, free of
  the client's swing (the confluent clients' call is 100 to 400 µs of librdkafka work that varies by more than
  10 µs between repeats);
- poll loop: the partition sought back to 0 and every record polled (``max_records`` 500), in rounds that
  interleave the variants, the process's CPU per record (its own and the client's threads, the scrape's and the
  collection's included), as a ratio to ``none`` in the same round (target: at most 1.05).
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from rich.table import Table

from pauseable_bench.cpu import client_cpu_s
from pauseable_bench.samples import Run, on_fresh_topic, run_worker

#: ``placebo`` registers nothing either, measured as a plugin is: the spread its figures show against ``none`` is the
#: run's noise floor (on the confluent clients the poll loop's CPU ratio swings by ±5 % with no plugin code in it)
VARIANTS = ("none", "placebo", "prometheus", "opentelemetry")
#: the backends' entry-point names (what ``PAUSEABLE_PLUGINS`` names), by backend
ENTRY_POINT = {"confluent-kafka-aio": "confluent-kafka"}
RECORD_SIZE, MAX_RECORDS = 100, 500
#: blocks per repeat that the variants' control calls are interleaved in; rounds of their poll loops
_BLOCKS, _POLL_ROUNDS = 20, 3
_POLL_S, _TIMEOUT_S = 0.5, 120.0


def sample(config: dict[str, Any]) -> dict[str, Any]:
    """Every variant's control-call time and poll-loop CPU per record, ``repeats`` times; the raw figures."""
    backend = config["backend"]
    os.environ["PAUSEABLE_PLUGINS"] = ENTRY_POINT.get(backend, backend)  # before the plugins load: none but it
    from pauseable.plugins import load_plugins
    from pauseable.registry import get_backend
    from pauseable.types import TopicPartition
    from pauseable_testing.cluster import KafkaCluster, unique_name
    from pauseable_testing.harness import BackendHarness

    plugins = load_plugins()
    install = _installers(plugins)
    harness = BackendHarness(get_backend(backend), KafkaCluster(config["bootstrap"]))
    tp = TopicPartition(config["topic"], 0)
    harness.produce_bulk(config["topic"], config["records"], RECORD_SIZE)
    try:
        view = harness.controller(unique_name("plugin-cost"))
        view.assign([tp])
        ctl, run = view.target, harness.run
        _poll_all(ctl, run, tp, config["records"])  # warm: connections made, the position known
        variants = list(install)
        calls: dict[str, list[float]] = {v: [] for v in variants}
        calls_cpu: dict[str, list[float]] = {v: [] for v in variants}
        hooks: dict[str, list[float]] = {v: [] for v in variants}
        cpu: dict[str, list[float]] = {v: [] for v in variants}
        block = max(1, config["calls"] // _BLOCKS)
        for repeat in range(config["repeats"]):
            turn = repeat % len(variants)
            order = variants[turn:] + variants[:turn]
            wall, mine, inside = (dict.fromkeys(variants, 0.0) for _ in range(3))
            for _ in range(_BLOCKS):  # the variants interleaved in small blocks: a slow spell hits them all alike
                for variant in order:
                    remove = install[variant]()
                    try:
                        took, took_cpu = _calls(ctl, run, tp, block)
                        with _HookTime(plugins) as timer:  # its own blocks: the monitoring costs a little too
                            _calls(ctl, run, tp, block)
                    finally:
                        remove()
                    wall[variant] += took
                    mine[variant] += took_cpu
                    inside[variant] += timer.spent
            for variant in variants:
                calls[variant].append(wall[variant] / (2 * block * _BLOCKS) * 1e6)
                calls_cpu[variant].append(mine[variant] / (2 * block * _BLOCKS) * 1e6)
                hooks[variant].append(inside[variant] / (2 * block * _BLOCKS) * 1e6)
            for _ in range(_POLL_ROUNDS):  # interleaved too: a scrape, a collection or a slow fetch hits them all alike
                for variant in order:
                    remove = install[variant]()
                    try:
                        cpu[variant].append(_poll_all(ctl, run, tp, config["records"]))
                    finally:
                        remove()
        return {"backend": backend, "records": config["records"], "calls": config["calls"],
                "call_us": calls, "call_cpu_us": calls_cpu, "hook_us": hooks,
                "cpu_us_per_record": cpu}  # fmt: skip
    finally:
        harness.close()


def _installers(plugins: Any) -> dict[str, Callable[[], Callable[[], None]]]:
    """Per installed variant: register its plugin, returning what takes it out again."""
    found: dict[str, Callable[[], Callable[[], None]]] = {"none": lambda: lambda: None, "placebo": lambda: lambda: None}
    for variant, module in (("prometheus", "pauseable_prometheus"), ("opentelemetry", "pauseable_opentelemetry")):
        try:
            plugin = importlib.import_module(module)
        except ImportError:
            continue
        found[variant] = partial(_register, plugins, plugin, variant)
    if "prometheus" in found:
        _scraped_every_second()
    if "opentelemetry" in found:
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import (
            MetricExporter,
            MetricExportResult,
            PeriodicExportingMetricReader,
        )

        class Dropped(MetricExporter):
            """Exports to nowhere: what is measured is the collection, on the reader's thread."""

            def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
                return MetricExportResult.SUCCESS

            def force_flush(self, timeout_millis: float = 10_000) -> bool:
                return True

            def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
                return None

        # as a user has it: a reader collecting on its own thread (the SDK's default interval is 60 s; 1 s here, so
        # the measurements the hooks leave for the collection are recorded many times a repeat)
        reader = PeriodicExportingMetricReader(Dropped(), export_interval_millis=1000)
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return found


def _scraped_every_second() -> None:
    """As a user has it: Prometheus scraping the default registry (the plugin applies what its hooks measured at
    each scrape; its usual interval is 15 to 60 s, 1 s here so that the measurements wait many times a repeat)."""
    from prometheus_client import REGISTRY, generate_latest

    def scrape() -> None:
        while True:
            time.sleep(1.0)
            generate_latest(REGISTRY)

    threading.Thread(target=scrape, name="prometheus-scrape", daemon=True).start()


class _HookTime:
    """The calling thread's CPU seconds inside the plugin manager's hook calls (every implementation of each)
    while active: on the confluent clients the wall time there also counts librdkafka's threads taking the
    two cores, and the GIL handed to a thread coming back from the client."""

    def __init__(self, plugins: Any) -> None:
        self._plugins, self._started, self.spent = plugins, 0.0, 0.0

    def __enter__(self) -> _HookTime:
        def before(hook_name: str, hook_impls: Any, kwargs: Any) -> None:
            self._started = time.thread_time()

        def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Any) -> None:
            self.spent += time.thread_time() - self._started  # hooks do not nest: one start suffices

        self._undo = self._plugins.add_hookcall_monitoring(before, after)
        return self

    def __exit__(self, *exc: object) -> None:
        self._undo()


def _register(plugins: Any, plugin: object, name: str) -> Callable[[], None]:
    plugins.register(plugin, name=name)
    return lambda: plugins.unregister(name=name)


def _calls(ctl: Any, run: Callable[[Any], Any], tp: Any, pairs: int) -> tuple[float, float]:
    """Seconds of ``pairs`` pause + resume pairs (the partition left running): wall, and the calling thread's CPU
    (where the hooks run; not the client's threads, nor the time spent waiting for them)."""
    t0, c0 = time.perf_counter(), time.thread_time()
    for _ in range(pairs):
        run(ctl.pause([tp]))
        run(ctl.resume([tp]))
    return time.perf_counter() - t0, time.thread_time() - c0


def _poll_all(ctl: Any, run: Callable[[Any], Any], tp: Any, records: int) -> float:
    """Seek back to 0 and poll every record; the process's CPU µs per record."""
    run(ctl.seek(tp, 0))
    deadline = time.monotonic() + _TIMEOUT_S
    got, cpu0 = 0, client_cpu_s()
    while got < records:
        got += len(run(ctl.poll(_POLL_S, min(MAX_RECORDS, records - got))))
        if time.monotonic() > deadline:
            raise TimeoutError(f"{got} of {records} records in {_TIMEOUT_S:.0f} s")
    return (client_cpu_s() - cpu0) / records * 1e6


def runs(bootstrap: str, backends: Sequence[str], records: int, calls: int, repeats: int) -> list[Run]:
    """One run per backend, each on a fresh topic."""
    return [
        Run(backend, "metrics plugins", on_fresh_topic(
            bootstrap, f"plugins-{backend}", backend=backend, records=records, calls=calls, repeats=repeats,
        ))
        for backend in backends
    ]  # fmt: skip


def summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend and plugin: µs per control call (wall), the calling thread's CPU µs it adds to ``none`` and the
    µs it adds inside the hook calls (each paired by repeat, median; the latter is the target's figure), CPU per
    polled record and its ratio to ``none`` (paired, median), each against its target."""
    rows = []
    for s in samples:
        base_mine, base_cpu = s["call_cpu_us"]["none"], s["cpu_us_per_record"]["none"]
        base_hooks = s.get("hook_us", {}).get("none")
        for variant in s["call_us"]:
            mine, cpu = s["call_cpu_us"][variant], s["cpu_us_per_record"][variant]
            added = statistics.median(c - b for c, b in zip(mine, base_mine, strict=True))
            in_hooks = None
            if base_hooks is not None:
                in_hooks = statistics.median(h - b for h, b in zip(s["hook_us"][variant], base_hooks, strict=True))
            ratio = statistics.median(c / b for c, b in zip(cpu, base_cpu, strict=True) if b > 0)
            rows.append({
                "backend": s["backend"], "plugin": variant, "repeats": len(mine),
                "call_us_p50": statistics.median(s["call_us"][variant]), "call_cpu_us_p50": statistics.median(mine),
                "added_us_p50": added, "hooks_added_us_p50": in_hooks,
                "cpu_us_per_record_p50": statistics.median(cpu), "cpu_ratio_p50": ratio,
                "meets_targets": (in_hooks if in_hooks is not None else added) <= 10.0 and ratio <= 1.05,
            })  # fmt: skip
    return rows


def markdown(rows: list[dict[str, Any]], config: dict[str, Any]) -> str:
    """The section's table with its conditions (empty when the section did not run)."""
    if not rows:
        return ""
    lines = [
        "",
        f"Metrics plugins: one warm controller per backend, each plugin registered in turn on the same consumer "
        "(placebo: none registered either, measured as a plugin is: the run's noise floor) "
        f"({config.get('plugins_repeats', 5)} repeats, order rotating); control call = a pause or a resume of one "
        f"partition ({config.get('plugins_calls', 2000):,} pairs per repeat, the variants interleaved in "
        f"{_BLOCKS} blocks), µs per call (wall) and the calling thread's CPU µs per call, where the hooks run, and "
        "what a plugin adds to it; and the CPU µs a plugin adds inside the hook calls, timed in place (pluggy's "
        "hook-call monitoring, in blocks of their own): the plugin's own cost, the target's figure (≤ 10 µs), "
        "which the whole call's CPU cannot resolve where the client's own work swings by more than that; "
        f"poll loop = {config.get('plugins_records', 100_000):,} records of "
        f"{RECORD_SIZE} B, {_POLL_ROUNDS} times a repeat (the variants interleaved), the process's CPU per record "
        "(its own and the client's threads) and its ratio to no "
        "plugin in the same round (target ≤ 1.05; no plugin code runs per record). Medians.",
        "",
        "| backend | plugin | µs per control call | caller's CPU µs per call | added | added in the hooks "
        "| CPU µs per polled record | ratio | targets |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        met = "-" if r["plugin"] in ("none", "placebo") else ("met" if r["meets_targets"] else "missed")
        lines.append(
            f"| {r['backend']} | {r['plugin']} | {r['call_us_p50']:.1f} | {r['call_cpu_us_p50']:.1f} "
            f"| {r['added_us_p50']:+.1f} | {_signed(r['hooks_added_us_p50'])} "
            f"| {r['cpu_us_per_record_p50']:.2f} | {r['cpu_ratio_p50']:.3f} | {met} |"
        )
    return "\n".join(lines) + "\n"


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}"


def table(rows: list[dict[str, Any]]) -> Table:
    """The rows for the terminal."""
    out = Table(title="metrics plugins: µs per control call (added), poll-loop CPU per record (ratio to none)")
    for column in ("backend", "plugin", "µs/call", "added", "in hooks", "CPU µs/record", "ratio"):
        out.add_column(column, justify="left" if column in ("backend", "plugin") else "right", no_wrap=True)
    for r in rows:
        out.add_row(
            r["backend"], r["plugin"], f"{r['call_us_p50']:.1f}", f"{r['added_us_p50']:+.1f}",
            _signed(r["hooks_added_us_p50"]),
            f"{r['cpu_us_per_record_p50']:.2f}", f"{r['cpu_ratio_p50']:.3f}",
        )  # fmt: skip
    return out


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1].startswith("{"):
        print(json.dumps(sample(json.loads(sys.argv[1]))))
        return 0
    from pauseable.registry import backends
    from pauseable_testing.broker import running_cluster

    chosen = sys.argv[1:] or list(backends())
    config = {"plugins_records": 300_000, "plugins_calls": 2_000, "plugins_repeats": 5}
    with running_cluster() as bootstrap:
        found = [run_worker("pauseable_bench.plugin_cost", r.config() if callable(r.config) else dict(r.config))
                 for r in runs(bootstrap, chosen, *config.values())]  # fmt: skip
    print(markdown(summary(found), config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
