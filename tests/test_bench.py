"""The benchmark machinery on a tiny profile: the schema, and no stale record where none may be.

Timings are not asserted here (shared, noisy machines); they belong to ``make bench``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pauseable.bench.costs import THROUGHPUT_TARGET
from pauseable.bench.fetching import CONDITIONS as FETCHING_CONDITIONS
from pauseable.bench.fetching import TARGET as FETCHING_TARGET
from pauseable.bench.overhead import OPERATIONS
from pauseable.bench.runner import SCHEMA
from pauseable.strategies import ALL_STRATEGIES
from pauseable.testing import KafkaCluster

FIRST_PARTY = ["aiokafka", "confluent-kafka", "confluent-kafka-aio", "kafka-python"]


def test_a_tiny_benchmark_writes_every_sample_and_skipping_strategies_deliver_nothing_stale(
    kafka_cluster: KafkaCluster, tmp_path: Path
) -> None:
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "COLUMNS": "160"}
    args = [sys.executable, "-m", "pauseable", "bench", "--tiny", "--no-anchor", "--out", str(tmp_path)]
    args += [f"--backend={name}" for name in FIRST_PARTY]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resume → first fresh record" in result.stdout
    document = json.loads((tmp_path / "bench.json").read_text())
    assert (tmp_path / "bench.md").read_text().startswith("Profile: backlogs 200;")
    for plot in ("latency.png", "bytes.png"):
        assert (tmp_path / plot).read_bytes().startswith(b"\x89PNG"), plot
    assert document["schema"] == SCHEMA
    assert set(document) >= {"machine", "versions", "config", "samples", "summary", "took_s", "broker",
                             "overhead", "throughput", "fetching"}  # fmt: skip
    assert document["versions"]["clients"].keys() == {"aiokafka", "confluent-kafka", "kafka-python"}
    check_overhead(document)
    check_throughput(document)
    check_fetching(document)
    samples = document["samples"]
    assert {(s["backend"], s["strategy"]) for s in samples} == {(b, s) for b in FIRST_PARTY for s in ALL_STRATEGIES}
    for s in samples:
        backlog = s["backlog"]
        if s["strategy"] == "continue":
            assert (s["stale_delivered"], s["skipped"]) == (backlog, 0), s
        else:
            assert (s["stale_delivered"], s["skipped"]) == (0, backlog), s
        if s["strategy"] in ("seek-to-end", "skip-pause-window", "rebuild"):
            assert s["records_fetched"] == 1, s  # only the fresh record: the backlog is never fetched
        else:
            assert s["records_fetched"] == backlog + 1, s
        assert s["latency_s"] > 0
        assert s["cpu_s"] > 0
        assert s["broker_cpu_s"] is None or s["broker_cpu_s"] >= 0
    assert "Control calls:" in (tmp_path / "bench.md").read_text()
    assert "Resume while other partitions of the same broker keep fetching" in (tmp_path / "bench.md").read_text()
    assert "control calls: µs per call" in result.stdout


# What each call needs from the broker by pauseable's contract, per call (Fetch requests left out):
# pause and resume are local; seek_to_end looks the end offset up (one ListOffsets, eager); committed
# asks the group coordinator (one OffsetFetch). The lookup client of kafka-python and confluent-kafka
# also asks for the topic's leaders first (a Metadata request: it fetches nothing, so nothing else tells
# it a leader moved); kafka-python sends it in the background, so a window may miss it.
EXPECTED_ROUND_TRIPS = {"pause": {0}, "resume": {0}, "seek-to-end": {1, 2}, "committed": {1}}
EXPECTED_REQUESTS = {"seek-to-end": {"ListOffsets"}, "committed": {"OffsetFetch"}}
LEADER_REFRESH = {"Metadata"}


def check_overhead(document: dict[str, Any]) -> None:
    """The control-call section: every backend and operation, sane figures, the contract's round trips."""
    rows = document["overhead"]["summary"]
    assert {(r["backend"], r["operation"]) for r in rows} == {(b, op) for b in FIRST_PARTY for op in OPERATIONS}
    for r in rows:
        assert r["pauseable_us"] > 0 and r["native_us"] > 0 and r["ratio"] > 0, r
        assert r["added_us"] == pytest.approx(r["pauseable_us"] - r["native_us"]), r
        trips = r["round_trips"]
        if r["operation"] == "seek-to-end-fetching":
            assert set(trips.values()) == {None}, r  # counted once, as seek-to-end
            continue
        assert all(isinstance(n, int) and n >= 0 for n in trips.values() if n is not None), r
        assert trips["pauseable"] in EXPECTED_ROUND_TRIPS[r["operation"]], r
        if r["operation"] in EXPECTED_REQUESTS:
            expected = EXPECTED_REQUESTS[r["operation"]]
            refresh = LEADER_REFRESH if r["operation"] == "seek-to-end" else set()
            assert expected <= set(r["requests"]["pauseable"]) <= expected | refresh, r
        if r["operation"] == "seek-to-end":
            assert r["native_eager_us"] > 0 and trips["native-eager"] is not None and trips["native-eager"] >= 1, r
        else:
            assert r["native_eager_us"] is None and trips["native-eager"] is None, r
    for sample in document["overhead"]["samples"]:
        assert sample["cpu_s"] > 0, sample["backend"]


def check_throughput(document: dict[str, Any]) -> None:
    """The poll-loop section: every record consumed on both sides, a positive ratio, the target named."""
    config = document["config"]
    for s in document["throughput"]["samples"]:
        assert s["side"] in ("pauseable", "raw"), s
        assert s["records"] == config["throughput_records"], s  # all of them, none twice
        assert s["records_per_s"] > 0 and s["cpu_s"] > 0, s
        assert s["broker_cpu_s"] is None or s["broker_cpu_s"] >= 0, s
    rows = document["throughput"]["summary"]
    assert [r["backend"] for r in rows] == sorted(FIRST_PARTY)
    for r in rows:
        assert r["ratio"] > 0 and r["target"] == THROUGHPUT_TARGET, r
        assert r["meets_target"] == (r["ratio"] >= THROUGHPUT_TARGET), r
        assert r["pauseable_records_per_s"] > 0 and r["raw_records_per_s"] > 0, r


def check_fetching(document: dict[str, Any]) -> None:
    """A resume while other partitions fetch: every backend, both conditions, the ratio and the target named."""
    strategies = document["config"]["fetching_strategies"]
    for sample in document["fetching"]["samples"]:
        got = {(t["strategy"], t["condition"]) for t in sample["timings"]}
        assert got == {(s, c) for s in strategies for c in FETCHING_CONDITIONS}, sample["backend"]
        assert all(t["resume_s"] > 0 for t in sample["timings"]), sample
    rows = document["fetching"]["summary"]
    assert {(r["backend"], r["strategy"]) for r in rows} == {(b, s) for b in FIRST_PARTY for s in strategies}
    for r in rows:
        assert r["ratio"] == pytest.approx(r["fetching_p50_s"] / r["idle_p50_s"]), r
        assert r["target"] == FETCHING_TARGET and r["meets_target"] == (r["ratio"] <= FETCHING_TARGET), r
