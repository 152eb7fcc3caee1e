"""The ``pauseable`` command: ``broker start|status|stop``, ``backends``, ``conformance``, ``bench``.

Results go to stdout (``broker start`` prints ``PAUSEABLE_BOOTSTRAP_SERVERS=host:port``, so a shell
can ``export "$(pauseable broker start)"``); progress and errors go to stderr. Exit status 0 on
success, 1 when pauseable reports an error, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from pauseable import __version__
from pauseable.broker import KAFKA_VERSION, LocalCluster, default_root, external_bootstrap, metadata
from pauseable.errors import PauseableError

_ENV = "PAUSEABLE_BOOTSTRAP_SERVERS"


def _broker_start(args: argparse.Namespace) -> int:
    if args.node is not None:
        return _node_start(args)
    if (bootstrap := external_bootstrap()) is not None:
        brokers = metadata(bootstrap).brokers
        _err(f"{_ENV} is set: using the cluster at {bootstrap} ({len(brokers)} broker(s)); nothing started")
        print(f"{_ENV}={bootstrap}")
        return 0
    root = default_root(args.name)
    existing = LocalCluster.load(root)
    if existing is not None and existing.running_nodes():
        _err(f"the cluster {args.name!r} is already running in {root}")
        print(f"{_ENV}={existing.bootstrap_servers}")
        return 0
    began = time.monotonic()
    cluster = LocalCluster.start(root, brokers=args.brokers, timeout=args.timeout)
    _err(
        f"started Apache Kafka {cluster.kafka_version}, {args.brokers} node(s), in "
        f"{time.monotonic() - began:.1f} s; data and logs in {root}; stop with `pauseable broker stop`"
        + (f" --name {args.name}" if args.name != "default" else "")
    )
    print(f"{_ENV}={cluster.bootstrap_servers}")
    return 0


def _broker_status(args: argparse.Namespace) -> int:
    if (bootstrap := external_bootstrap()) is not None:
        try:
            brokers = metadata(bootstrap).brokers
        except PauseableError as exc:
            _err(f"{_ENV}={bootstrap} does not answer: {exc}")
            return 1
        print(f"{_ENV}={bootstrap}: answering, {len(brokers)} broker(s) (not started by pauseable)")
        return 0
    root = default_root(args.name)
    cluster = LocalCluster.load(root)
    if cluster is None:
        print(f"not running: no cluster {args.name!r} in {root}")
        return 3  # the LSB convention for "not running"
    running = {node.node_id for node in cluster.running_nodes()}
    for node in cluster.nodes:
        state = f"running (pid {cluster.pid(node)})" if node.node_id in running else "stopped"
        print(f"node {node.node_id}  {node.address}  {state}")
    if not running:
        print(f"not running: the pid files in {root} are stale; `pauseable broker stop` cleans them up")
        return 3
    print(f"{_ENV}={cluster.bootstrap_servers}")
    return 0


def _broker_stop(args: argparse.Namespace) -> int:
    root = default_root(args.name)
    cluster = LocalCluster.load(root)
    if cluster is None:
        note = f" ({_ENV} is set; pauseable never stops a cluster it did not start)" if external_bootstrap() else ""
        _err(f"nothing to stop: no cluster {args.name!r} in {root}{note}")
        return 0
    if args.kill and args.node is None:
        _err("--kill stops one node: add --node ID (a whole cluster always stops cleanly)")
        return 2
    if args.node is not None:
        cluster.stop_node(args.node, kill=args.kill)
        how = "killed" if args.kill else "stopped"
        _err(f"{how} node {args.node}; its data is kept: `pauseable broker start --node {args.node}` restarts it")
        return 0
    running = len(cluster.running_nodes())
    cluster.stop()
    _err(f"stopped {running} node(s) and removed {root}")
    return 0


def _node_start(args: argparse.Namespace) -> int:
    root = default_root(args.name)
    cluster = LocalCluster.load(root)
    if cluster is None:
        _err(f"no cluster {args.name!r} in {root}: start one with `pauseable broker start --brokers 3` first")
        return 1
    cluster.start_node(args.node, timeout=args.timeout)
    _err(f"node {args.node} is running again")
    print(f"{_ENV}={cluster.bootstrap_servers}")
    return 0


def _backends(args: argparse.Namespace) -> int:
    import json

    from rich.console import Console
    from rich.table import Table

    from pauseable.registry import backends

    installed = backends()
    if args.json:
        listing = [
            {
                "name": b.name,
                "client": b.client,
                "client_version": b.client_version,
                "kind": "async" if b.is_async else "sync",
                "consumer_class": b.consumer_class,
                "package": b.package,
            }
            for b in installed.values()
        ]
        print(json.dumps(listing, indent=2))
        return 0
    if not installed:
        _err("no backend is installed: pip install pauseable-confluent-kafka (or -aiokafka, -kafka-python)")
        return 1
    headers = ("backend", "kind", "client", "consumer class", "adapter package")
    rows = [
        (b.name, "async" if b.is_async else "sync", f"{b.client} {b.client_version}", b.consumer_class, b.package)
        for b in installed.values()
    ]
    console = Console()
    if not console.is_terminal:  # plain columns for pipes and files, like `pip list`
        widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
        for line in (headers, tuple("-" * w for w in widths), *rows):
            print("  ".join(str(cell).ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        return 0
    table = Table(title="pauseable backends")
    for column in headers:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    return 0


def _conformance(args: argparse.Namespace) -> int:
    import importlib.util
    import subprocess
    from pathlib import Path

    from pauseable.registry import backends, get_backend

    chosen = args.backend or list(backends())
    for name in chosen:
        get_backend(name)  # UnknownBackendError lists what is installed
    # A pytest of its own, so it imports (and rewrites the asserts of) pauseable itself.
    spec = importlib.util.find_spec("pauseable.testing.suite")
    assert spec is not None and spec.submodule_search_locations
    suite_file = Path(next(iter(spec.submodule_search_locations))) / "run_suite.py"
    pytest_args = [str(suite_file), "-p", "no:cacheprovider", "-o", "python_files=run_suite.py", "-q"]
    pytest_args += [f"--pauseable-backend={name}" for name in chosen]
    if args.json:
        pytest_args.append(f"--pauseable-matrix-json={args.json}")
    if args.markdown:
        pytest_args.append(f"--pauseable-matrix-md={args.markdown}")
    return subprocess.run([sys.executable, "-m", "pytest", *pytest_args, *args.pytest_args], check=False).returncode


def _demo(args: argparse.Namespace) -> int:
    from pauseable.demo import run

    return run(args.backend, args.strategy, during=args.records)


def _bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pauseable.bench.runner import Profile, run
    from pauseable.registry import backends, get_backend
    from pauseable.strategies import ALL_STRATEGIES

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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pauseable",
        description="Pause and resume Kafka consumers the same way on every Python client.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    broker = commands.add_parser(
        "broker",
        help="run a local Apache Kafka broker (no Docker)",
        description=f"Run Apache Kafka {KAFKA_VERSION} on loopback: jars fetched once with Maven, then cached. "
        f"With {_ENV} set, the cluster it names is used and nothing is started.",
    )
    actions = broker.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = actions.add_parser("start", help="start a cluster and print its bootstrap address")
    start.add_argument("--brokers", type=int, default=1, choices=(1, 3), help="number of nodes (default: 1)")
    start.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for it to answer")
    status = actions.add_parser("status", help="show whether the cluster runs (exit 3 when it does not)")
    start.add_argument("--node", type=int, metavar="ID", help="start this stopped node of a running cluster again")
    stop = actions.add_parser("stop", help="stop the cluster and remove its files")
    stop.add_argument("--node", type=int, metavar="ID", help="stop only this node, keeping its data (fault tests)")
    stop.add_argument("--kill", action="store_true", help="with --node: SIGKILL, no controlled shutdown")
    for action, func in ((start, _broker_start), (status, _broker_status), (stop, _broker_stop)):
        action.add_argument("--name", default="default", help="which local cluster (default: default)")
        action.set_defaults(func=func)

    listing = commands.add_parser("backends", help="list the installed backends and their client versions")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(func=_backends)

    conformance = commands.add_parser(
        "conformance",
        help="run the conformance suite against installed backends and print the matrix",
        description="Run every behaviour of the contract against a real broker (the local one, or "
        f"{_ENV}) and print behaviour x backend. Arguments after -- go to pytest.",
    )
    conformance.add_argument("--backend", action="append", metavar="NAME", help="a backend (repeatable; default: all)")
    conformance.add_argument("--json", metavar="PATH", help="also write the matrix as JSON")
    conformance.add_argument("--markdown", metavar="PATH", help="also write the matrix as Markdown")
    conformance.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    conformance.set_defaults(func=_conformance)

    from pauseable.strategies import ALL_STRATEGIES

    demo = commands.add_parser(
        "demo",
        help="show what a skip strategy delivers and skips, on a real broker",
        description="Produce, consume part, pause, produce while paused, resume with a strategy, and show "
        "which offsets were delivered and which skipped.",
    )
    demo.add_argument("--backend", default="kafka-python", help="an installed backend (default: kafka-python)")
    demo.add_argument("--strategy", default="skip-pause-window", choices=ALL_STRATEGIES)
    demo.add_argument("--records", type=int, default=5, help="records produced while paused (default: 5)")
    demo.set_defaults(func=_demo)

    bench = commands.add_parser(
        "bench",
        help="benchmark the skip strategies on every installed backend, on a real broker",
        description="Backends x strategies x backlog sizes: resume -> first fresh record latency, stale records "
        "delivered, records and bytes fetched to get past the backlog, CPU and memory of the consumer process, "
        "broker CPU apart. Then pauseable against each native client: microseconds and broker requests per "
        "control call, poll-loop records per second, how long a poll takes with a record ready, control calls "
        "of 10 to 1,000 partitions at once, and a resume while other partitions of the broker keep fetching, "
        "against the same resume when idle. Each sample runs in its own process.",
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
        choices=("latency", "overhead", "throughput", "poll-latency", "scale", "fetching"),  # runner.SECTIONS
        help="run only this part (repeatable; default: all): latency of the strategies, control-call overhead, "
        "poll-loop throughput, a poll with a record ready, control calls at scale, a resume while other "
        "partitions fetch",
    )
    bench.add_argument("--out", default="benchmarks/results", help="where to write bench.json")
    bench.set_defaults(func=_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except PauseableError as exc:
        _err(f"pauseable: error: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
