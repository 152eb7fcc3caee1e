"""The testing kit's commands of ``pauseable``: ``broker``, ``conformance`` and ``demo``.

Each function below adds one sub-parser; the runtime's CLI finds them through the entry-point group
``pauseable.commands`` (see this distribution's ``pyproject.toml``).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from pauseable.errors import PauseableError
from pauseable_testing.broker import KAFKA_VERSION, LocalCluster, default_root, external_bootstrap, metadata

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
            return 3  # "not running", whoever started it
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
    other = external_bootstrap()
    if cluster is not None and other is not None and other != cluster.bootstrap_servers:
        # The user works against another cluster: stopping this one would surprise them.
        _err(
            f"not stopped: {_ENV}={other} names another cluster than the local {args.name!r} "
            f"({cluster.bootstrap_servers}); to stop the local one: "
            f"env -u {_ENV} pauseable broker stop" + (f" --name {args.name}" if args.name != "default" else "")
        )
        return 1
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


def _conformance(args: argparse.Namespace) -> int:
    import importlib.util
    import subprocess
    from pathlib import Path

    from pauseable.registry import backends, get_backend

    chosen = args.backend or list(backends())
    for name in chosen:
        get_backend(name)  # UnknownBackendError lists what is installed
    # A pytest of its own, so it imports (and rewrites the asserts of) pauseable itself.
    spec = importlib.util.find_spec("pauseable_testing.suite")
    assert spec is not None and spec.submodule_search_locations
    suite_dir = Path(next(iter(spec.submodule_search_locations)))
    # Its own configuration file and root, whatever surrounds the installed package (an editable install
    # or an environment inside a project would otherwise pick up that project's pytest settings).
    pytest_args = ["-c", str(suite_dir / "pytest.ini"), "--rootdir", str(suite_dir), str(suite_dir / "run_suite.py")]
    pytest_args += ["-p", "no:cacheprovider", "-q"]
    pytest_args += [f"--pauseable-backend={name}" for name in chosen]
    if args.json:
        pytest_args.append(f"--pauseable-matrix-json={args.json}")
    if args.markdown:
        pytest_args.append(f"--pauseable-matrix-md={args.markdown}")
    return subprocess.run([sys.executable, "-m", "pytest", *pytest_args, *args.pytest_args], check=False).returncode


def _demo(args: argparse.Namespace) -> int:
    from pauseable.registry import backends
    from pauseable_testing.demo import run

    backend = args.backend or next(iter(backends()), None)
    if backend is None:
        _err("pauseable: error: no backend is installed: pip install 'pauseable[confluent-kafka]' (or [aiokafka])")
        return 1
    return run(backend, args.strategy, during=args.records)


def add_broker(commands: Any) -> None:
    """Add ``pauseable broker start|status|stop``."""
    broker = commands.add_parser(
        "broker",
        help="run a local Apache Kafka broker (no Docker)",
        description=f"Run Apache Kafka {KAFKA_VERSION} on loopback (Java is all it needs): jars downloaded once "
        "from Maven Central, checked against pinned checksums, then cached. "
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


def add_conformance(commands: Any) -> None:
    """Add ``pauseable conformance``."""
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


def add_demo(commands: Any) -> None:
    """Add ``pauseable demo``."""
    from pauseable.strategies import ALL_STRATEGIES

    demo = commands.add_parser(
        "demo",
        help="show what a skip strategy delivers and skips, on a real broker",
        description="Produce, consume part, pause, produce while paused, resume with a strategy, and show "
        "which offsets were delivered and which skipped.",
    )
    demo.add_argument("--backend", help="an installed backend (default: the first of `pauseable backends`)")
    demo.add_argument(
        "--strategy", default="skip-pause-window", choices=ALL_STRATEGIES, help="the skip strategy of the resume"
    )
    demo.add_argument("--records", type=int, default=5, help="records produced while paused (default: 5)")
    demo.set_defaults(func=_demo)


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
