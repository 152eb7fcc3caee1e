"""How fast a group pause reaches every member (issue 13), and that nothing of the topic is delivered after.

The ``group-pauses`` section of ``pauseable bench``; also ``python -m pauseable_bench.propagation [BACKEND ...]``.

A three-node local cluster of its own (started for the section, stopped after). Per backend: a topic of
:data:`PARTITIONS` partitions replicated 3 times, a control topic made by an :class:`~pauseable.Operator`, a
producer writing a record to every partition every :data:`PRODUCE_EVERY_S`, and :data:`MEMBERS` member
processes (:mod:`pauseable_bench.group_member`) in one group, following the control topic. Each try: the operator
pauses the topic for the group; the time from ``pause`` returning (and from the call) to the last member holding
all its partitions paused; then no member may hand over a record of the topic from its own pause instant until
the operator resumes (``continue``), which the members follow before the next try. At the end every produced
record must have been delivered (nothing lost; a rebalance may deliver some twice). Target: p99 ≤ 1 s.

No client has a group-wide pause of its own to stand beside these figures; a member notices a change at its next
poll slice after its follower read it (the members poll every 20 ms).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.progress import Progress, TaskID
from rich.table import Table

from pauseable import Operator
from pauseable_bench.stats import percentile
from pauseable_testing.broker import LocalCluster, create_topic
from pauseable_testing.cluster import unique_name
from pauseable_testing.harness import Producer

MEMBERS, PARTITIONS = 3, 6
PRODUCE_EVERY_S = 0.05
TARGET_P99_S = 1.0
#: a try whose pause or resume has not reached every member by then counts as timed out
_WAIT_S = 10.0
#: no state change for this long after the members joined: the group has settled
_SETTLE_S = 3.0


class _Member:
    """A member process; its lines read as they come."""

    def __init__(self, config: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pauseable_bench.group_member", config],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.states: list[tuple[str, float]] = []
        self.records: list[tuple[int, int, float]] = []
        assert self.proc.stdout is not None
        self._reader = threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            kind, *rest = line.split()
            if kind == "state":
                self.states.append((rest[0], float(rest[1])))
            elif kind == "record":
                self.records.append((int(rest[0]), int(rest[1]), float(rest[2])))

    def state_since(self, state: str, since: float) -> float | None:
        """When it last became ``state`` at or after ``since`` (None: not since then)."""
        found = [t for s, t in list(self.states) if s == state and t >= since]
        return found[-1] if found else None

    def stop(self) -> str:
        """Close its stdin (it closes its controller and ends); what it wrote to stderr."""
        assert self.proc.stdin is not None and self.proc.stderr is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        return self.proc.stderr.read()[-2000:]


def run(backends: Sequence[str], tries: int, progress: Progress) -> list[dict[str, Any]]:
    """A sample per backend, on a three-node cluster started for them."""
    task = progress.add_task("group pauses", total=len(backends) * tries)
    with tempfile.TemporaryDirectory(prefix="pauseable-propagation-") as root:
        cluster = LocalCluster.start(Path(root), brokers=3, die_with_parent=True)
        try:
            return [_sample(cluster.bootstrap_servers, backend, tries, progress, task) for backend in backends]
        finally:
            cluster.stop()


def _sample(bootstrap: str, backend: str, tries: int, progress: Progress, task: TaskID) -> dict[str, Any]:
    import json

    topic, group = unique_name(f"propagation-{backend}"), unique_name(f"g-propagation-{backend}")
    create_topic(bootstrap, topic, partitions=PARTITIONS, replication_factor=3, configs={"min.insync.replicas": "2"})
    operator = Operator(
        {"bootstrap.servers": bootstrap}, client="confluent-kafka", control_topic=unique_name("control"), by="bench"
    )
    operator.create_control_topic()
    produced: dict[int, int] = dict.fromkeys(range(PARTITIONS), 0)
    stop = threading.Event()

    def produce() -> None:
        producer = Producer(bootstrap)
        try:
            while not stop.wait(PRODUCE_EVERY_S):
                for partition in range(PARTITIONS):
                    produced[partition] += len(producer.produce(topic, 1, partition=partition))
        finally:
            producer.close()

    config = json.dumps({"bootstrap": bootstrap, "backend": backend, "group": group, "topic": topic,
                         "control": operator.control_topic})  # fmt: skip
    members = [_Member(config) for _ in range(MEMBERS)]
    producing = threading.Thread(target=produce, daemon=True)
    producing.start()
    from_return: list[float] = []
    from_call: list[float] = []
    timeouts = while_paused = 0
    try:
        _settle(members)
        for _ in range(tries):
            called = time.monotonic()
            operator.pause(group, topic, reason="bench")
            returned = time.monotonic()
            instants = _wait_all(members, "paused", called)
            resuming = time.monotonic()
            operator.resume(group, topic)
            if instants is None:
                timeouts += 1
            else:
                last = max(instants)
                from_return.append(last - returned)
                from_call.append(last - called)
                while_paused += sum(
                    1 for member, paused_at in zip(members, instants, strict=True)
                    for _, _, t in list(member.records) if paused_at < t < resuming
                )  # fmt: skip
            if _wait_all(members, "running", resuming) is None:
                timeouts += 1
            progress.advance(task)
        stop.set()
        producing.join()
        lost = _lost(members, produced)
    finally:
        stop.set()
        said = [member.stop() for member in members]
        operator.close()
    delivered = [(p, o) for member in members for p, o, _ in member.records]
    return {
        "backend": backend, "tries": tries, "members": MEMBERS, "partitions": PARTITIONS,
        "from_return_s": from_return, "from_call_s": from_call, "timeouts": timeouts,
        "delivered_while_paused": while_paused, "produced": sum(produced.values()), "lost": lost,
        "delivered_twice": len(delivered) - len(set(delivered)),
        "member_stderr": [s for s in said if s.strip()][:1],
    }  # fmt: skip


def _settle(members: list[_Member]) -> None:
    """Wait until every member runs its partitions and no state changed for :data:`_SETTLE_S`."""
    deadline = time.monotonic() + 120
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the members did not settle in 120 s: {[m.states[-3:] for m in members]}")
        changes = [m.states[-1] if m.states else ("", 0.0) for m in members]
        if all(s == "running" for s, _ in changes) and time.monotonic() - max(t for _, t in changes) > _SETTLE_S:
            return
        time.sleep(0.1)


def _wait_all(members: list[_Member], state: str, since: float) -> list[float] | None:
    """Each member's instant of reaching ``state`` after ``since``; None when one did not in :data:`_WAIT_S`."""
    deadline = time.monotonic() + _WAIT_S
    while time.monotonic() < deadline:
        instants = [m.state_since(state, since) for m in members]
        if all(t is not None for t in instants):
            return [t for t in instants if t is not None]
        time.sleep(0.002)
    return None


def _lost(members: list[_Member], produced: dict[int, int]) -> int:
    """Produced records no member delivered, after up to 30 s for the last ones to arrive."""
    deadline = time.monotonic() + 30
    while True:
        seen = {(p, o) for member in members for p, o, _ in list(member.records)}
        lost = sum(1 for p, n in produced.items() for o in range(n) if (p, o) not in seen)
        if lost == 0 or time.monotonic() > deadline:
            return lost
        time.sleep(0.2)


def summary(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend: p50, p99 and max from ``pause`` returning, p99 from the call, and the ledger's counts."""
    rows = []
    for s in samples:
        back, call = s["from_return_s"], s["from_call_s"]
        p99 = percentile(back, 0.99) if back else None
        rows.append({
            "backend": s["backend"], "tries": s["tries"], "timeouts": s["timeouts"],
            "p50_s": statistics.median(back) if back else None, "p99_s": p99, "max_s": max(back) if back else None,
            "call_p99_s": percentile(call, 0.99) if call else None,
            "delivered_while_paused": s["delivered_while_paused"], "produced": s["produced"], "lost": s["lost"],
            "delivered_twice": s["delivered_twice"],
            "meets_target": p99 is not None and p99 <= TARGET_P99_S and s["timeouts"] == 0
            and s["delivered_while_paused"] == 0 and s["lost"] == 0,
        })  # fmt: skip
    return rows


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f} ms"


def markdown(rows: list[dict[str, Any]]) -> str:
    """The section's table with its conditions (empty when the section did not run)."""
    if not rows:
        return ""
    lines = [
        "",
        f"Group pauses: a three-node cluster, {MEMBERS} member processes in one group on a topic of {PARTITIONS} "
        f"partitions (replicated 3 times) with a record produced to each every {PRODUCE_EVERY_S * 1000:.0f} ms; "
        "each try an operator pauses the topic for the group, then resumes it once every member holds its "
        "partitions paused. Time from `pause` returning to the last member paused (p50, p99, max; p99 from the "
        f"call beside it; target p99 ≤ {TARGET_P99_S:.0f} s), records handed over after a member's pause instant "
        "and before the resume, produced records never delivered. No client has a group-wide pause to compare.",
        "",
        "| backend | tries | p50 | p99 | max | p99 from the call | delivered while paused | lost | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['tries'] - r['timeouts']} of {r['tries']} | {_ms(r['p50_s'])} | {_ms(r['p99_s'])} "
            f"| {_ms(r['max_s'])} | {_ms(r['call_p99_s'])} | {r['delivered_while_paused']} "
            f"| {r['lost']} of {r['produced']:,} | {'met' if r['meets_target'] else 'missed'} |"
        )
    return "\n".join(lines) + "\n"


def table(rows: list[dict[str, Any]]) -> Table:
    """The rows for the terminal."""
    out = Table(title="group pauses: from pause returning to the last member paused")
    for column in ("backend", "tries", "p50", "p99", "max", "p99 from call", "while paused", "lost"):
        out.add_column(column, justify="left" if column == "backend" else "right", no_wrap=True)
    for r in rows:
        out.add_row(
            r["backend"], f"{r['tries'] - r['timeouts']}/{r['tries']}", _ms(r["p50_s"]), _ms(r["p99_s"]),
            _ms(r["max_s"]), _ms(r["call_p99_s"]), str(r["delivered_while_paused"]), str(r["lost"]),
        )  # fmt: skip
    return out


def main() -> int:
    from pauseable.registry import backends

    chosen = sys.argv[1:] or list(backends())
    with Progress() as progress:
        rows = summary(run(chosen, 100, progress))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
