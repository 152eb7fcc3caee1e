"""``pauseable bench``: added to the ``pauseable`` command through the entry-point group ``pauseable.commands``."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pauseable.registry import backends, get_backend
    from pauseable.strategies import ALL_STRATEGIES
    from pauseable_bench.runner import Profile, run

    chosen = args.backend or list(backends())
    for name in chosen:
        get_backend(name)
    profile = (Profile.full if args.full else Profile.tiny if args.tiny else Profile.quick)(chosen)
    if args.strategy:
        unknown = sorted(set(args.strategy) - set(ALL_STRATEGIES))
        if unknown:
            _err(f"pauseable: error: unknown strategy {', '.join(unknown)}; choose from {', '.join(ALL_STRATEGIES)}")
            return 2
        profile.strategies = args.strategy
        profile.fetching_strategies = [s for s in args.strategy if s != "continue"]
    if args.repeats:
        profile.repeats = args.repeats
    if args.no_anchor:
        profile.anchor = False
    if args.section:
        profile.sections = args.section
    run(profile, Path(args.out))
    return 0


def add_bench(commands: Any) -> None:
    """Add ``pauseable bench``."""
    bench = commands.add_parser(
        "bench",
        help="benchmark the skip strategies on every installed backend, on a real broker",
        description="Backends x strategies x backlog sizes: resume -> first fresh record latency, stale records "
        "delivered, records and bytes fetched to get past the backlog, CPU and memory of the consumer process, "
        "broker CPU apart. Then pauseable against each native client: microseconds and broker requests per "
        "control call, poll-loop records per second, how long a poll takes with a record ready, control calls "
        "of 10 to 1,000 partitions at once, a resume while other partitions of the broker keep fetching, "
        "against the same resume when idle, a slow sink (naive loop, hand-written pause/resume, flow), what the "
        "metrics plugins add, and how fast a group pause reaches every member. Each sample runs in its own process.",
    )
    size = bench.add_mutually_exclusive_group()
    size.add_argument(
        "--full", action="store_true", help="backlogs up to 1,000,000 records, 100 B and 1 KiB, 5 repeats"
    )
    size.add_argument("--tiny", action="store_true", help="one small backlog, one repeat (checks the machinery)")
    bench.add_argument("--backend", action="append", metavar="NAME", help="a backend (repeatable; default: all)")
    bench.add_argument("--strategy", action="append", metavar="NAME", help="a strategy (repeatable; default: all)")
    bench.add_argument("--repeats", type=int, help="samples per combination (default: 3; 5 with --full)")
    bench.add_argument("--no-anchor", action="store_true", help="skip franz-go (built with Go from benchmarks/franz)")
    bench.add_argument(
        "--section",
        action="append",
        choices=(
            "latency",
            "overhead",
            "throughput",
            "poll-latency",
            "scale",
            "fetching",
            "slow-sink",
            "plugins",
            "group-pauses",
        ),
        help="run only this part (repeatable; default: all): latency of the strategies, control-call overhead, "
        "poll-loop throughput, a resume while other partitions fetch, a slow sink (naive, hand-written, flow), what "
        "the metrics plugins add to control calls and the poll loop, how fast a group pause reaches three member "
        "processes (on a three-node cluster of its own)",
    )
    bench.add_argument("--out", default="benchmarks/results", help="where to write bench.json")
    bench.set_defaults(func=_bench)


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
