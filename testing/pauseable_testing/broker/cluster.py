"""A Kafka cluster of combined broker+controller (KRaft) processes on loopback.

One directory per cluster holds ``cluster.json`` and one ``node-<id>/`` per node with its
``server.properties``, ``kafka.pid``, ``broker.log`` and ``data/``. Stopping a cluster ends only the
processes whose pid files it wrote (checked against their command line, so a stale pid file that now
names some other process is never signalled) and removes only its own directory.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from pauseable_testing.broker import jars, wire
from pauseable_testing.broker.errors import BrokerError, BrokerStartError

_STATE = "cluster.json"
_LOG_TAIL = 40
_LOG4J = """\
rootLogger.level=INFO
rootLogger.appenderRef.stdout.ref=STDOUT
appender.stdout.type=Console
appender.stdout.name=STDOUT
appender.stdout.layout.type=PatternLayout
appender.stdout.layout.pattern=[%d] %p %m (%c)%n
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.state.name=state.change.logger
logger.state.level=WARN
"""


def default_root(name: str = "default") -> Path:
    """Where ``pauseable broker`` keeps the cluster called ``name``: ``$PAUSEABLE_RUN_DIR/<name>``."""
    base = os.environ.get("PAUSEABLE_RUN_DIR") or Path(tempfile.gettempdir()) / f"pauseable-{os.getuid()}"
    return Path(base) / name


@dataclass(frozen=True, slots=True)
class Security:
    """Authentication and authorization for a local cluster (``LocalCluster.start(security=...)``).

    Every listener, the KRaft controllers' own included, takes SASL/PLAIN logins only (``SASL_PLAINTEXT``: no TLS
    on loopback); the users and passwords are those of the brokers' JAAS configuration. ``StandardAuthorizer``
    decides, with ``admin`` as the only super user (the nodes log in to each other and the harness to them as
    ``admin``): every other user may do only what an ACL allows.
    """

    #: user name → password, of the users clients log in as (besides ``admin``)
    users: Mapping[str, str]
    admin: str = "admin"
    admin_password: str = "admin-secret"

    def login(self, user: str | None = None) -> tuple[str, str]:
        """The (user, password) of ``user``, by default of the super user."""
        if user is None or user == self.admin:
            return self.admin, self.admin_password
        if user not in self.users:
            raise BrokerError(f"the cluster has no user {user!r}; its users are {', '.join(sorted(self.users))}")
        return user, self.users[user]

    def server_properties(self) -> dict[str, str]:
        """The lines of ``server.properties`` that switch authentication and the authorizer on."""
        users = {self.admin: self.admin_password, **self.users}
        jaas = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="{self.admin}" password="{self.admin_password}" '
            + " ".join(f'user_{name}="{password}"' for name, password in users.items())
            + ";"
        )
        return {
            "sasl.enabled.mechanisms": "PLAIN",
            "sasl.mechanism.inter.broker.protocol": "PLAIN",
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
            "listener.name.controller.plain.sasl.jaas.config": jaas,
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{self.admin}",
            "allow.everyone.if.no.acl.found": "false",
        }


@dataclass(frozen=True, slots=True)
class Node:
    """One combined broker+controller process of a local cluster."""

    node_id: int
    port: int
    controller_port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


class LocalCluster:
    """A Kafka cluster this process (or an earlier ``pauseable broker start``) runs on loopback.

    Use :meth:`start` to make one and :meth:`load` to find one a previous command started.
    """

    __slots__ = ("_children", "cluster_id", "die_with_parent", "kafka_version", "nodes", "root", "security")

    def __init__(
        self,
        root: Path,
        nodes: tuple[Node, ...],
        cluster_id: str,
        kafka_version: str,
        security: Security | None = None,
    ) -> None:
        self.root = root
        self.nodes = nodes
        self.cluster_id = cluster_id
        self.kafka_version = kafka_version
        #: authentication and authorization, None for a cluster open to every client (PLAINTEXT)
        self.security = security
        #: the broker processes this object started, kept so they are reaped (no zombie, no ResourceWarning)
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        #: brokers get SIGKILL when the process that started them dies (tests: nothing outlives a killed run)
        self.die_with_parent = False

    @property
    def bootstrap_servers(self) -> str:
        """The comma-separated client addresses of every node."""
        return ",".join(node.address for node in self.nodes)

    # -- life cycle ------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        root: Path | None = None,
        *,
        brokers: int = 1,
        kafka_version: str = jars.KAFKA_VERSION,
        heap: str | None = None,
        timeout: float = 120.0,
        overrides: Mapping[str, str] | None = None,
        die_with_parent: bool = False,
        security: Security | None = None,
    ) -> LocalCluster:
        """Format storage for ``brokers`` nodes under ``root`` and start them; wait until they answer.

        ``root`` must not hold a running cluster; a stale one (its processes gone) is removed.
        ``overrides`` are extra ``server.properties`` lines. With ``die_with_parent`` (Linux, util-linux's
        ``setpriv``) the brokers are killed when this process dies, even by SIGKILL. With ``security`` every
        client must log in (SASL/PLAIN) and may do only what ACLs allow (:class:`Security`). Raises
        :class:`BrokerSetupError` when Java or the jars are missing, :class:`BrokerStartError` when a
        node does not come up.
        """
        if brokers < 1:
            raise ValueError(f"brokers must be at least 1, got {brokers}")
        root = Path(root) if root is not None else default_root()
        java = jars.java_executable()
        libs = jars.kafka_jars(kafka_version)
        existing = cls.load(root)
        if existing is not None:
            if existing.running_nodes():
                raise BrokerError(
                    f"a cluster is already running in {root} (PAUSEABLE_BOOTSTRAP_SERVERS="
                    f"{existing.bootstrap_servers}); stop it first or pick another directory/name"
                )
            existing.stop()
        ports = _free_ports(2 * brokers)
        nodes = tuple(Node(i + 1, ports[2 * i], ports[2 * i + 1]) for i in range(brokers))
        cluster_id = _new_cluster_id()
        cluster = cls(root, nodes, cluster_id, kafka_version, security)
        cluster.die_with_parent = die_with_parent
        root.mkdir(parents=True, exist_ok=True)
        (root / "log4j2.properties").write_text(_LOG4J)
        cluster._write_state()
        try:
            for node in nodes:
                cluster._write_config(node, overrides or {})
            cluster._format(java, libs)
            for node in nodes:
                cluster._launch(node, java, libs, heap)
            cluster.wait_ready(timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    @classmethod
    def load(cls, root: Path) -> LocalCluster | None:
        """The cluster whose state is in ``root``, or None when there is none."""
        try:
            state = json.loads((Path(root) / _STATE).read_text())
            nodes = tuple(Node(**n) for n in state["nodes"])
            security = Security(**state["security"]) if state.get("security") else None
            return cls(Path(root), nodes, state["cluster_id"], state["kafka_version"], security)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every node this cluster started and remove its directory."""
        for node in self.nodes:
            self._signal(node, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node in self.nodes:
            while self.pid(node) is not None and time.monotonic() < deadline:
                time.sleep(0.1)
            self._signal(node, signal.SIGKILL)
            self._reap(node)
        shutil.rmtree(self.root, ignore_errors=True)
        if self.root.parent == default_root().parent:
            with contextlib.suppress(OSError):  # the per-user run directory, when nothing else is in it
                self.root.parent.rmdir()

    def stop_node(self, node_id: int, *, kill: bool = False, timeout: float = 30.0) -> None:
        """Stop one node (SIGTERM, or SIGKILL with ``kill``), keeping its data for :meth:`start_node`."""
        node = self.node(node_id)
        self._signal(node, signal.SIGKILL if kill else signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.pid(node) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        self._signal(node, signal.SIGKILL)
        self._reap(node)

    def start_node(self, node_id: int, *, heap: str | None = None, timeout: float = 120.0) -> None:
        """Start a stopped node again on its old ports and data; wait until the cluster answers."""
        node = self.node(node_id)
        if self.pid(node) is not None:
            raise BrokerError(f"node {node_id} is already running")
        self._launch(node, jars.java_executable(), jars.kafka_jars(self.kafka_version), heap)
        self.wait_ready(timeout)

    # -- inspection -----------------------------------------------------------------------

    def node(self, node_id: int) -> Node:
        for node in self.nodes:
            if node.node_id == node_id:
                return node
        known = ", ".join(str(n.node_id) for n in self.nodes)
        raise BrokerError(f"no node {node_id} in the cluster at {self.root}; its nodes are {known}")

    def pid(self, node: Node) -> int | None:
        """The pid of ``node``'s broker process, or None when it is not running (stale pid file)."""
        try:
            pid = int((self._node_dir(node) / "kafka.pid").read_text())
        except (OSError, ValueError):
            return None
        return pid if _is_running(pid, marker=str(self._node_dir(node) / "server.properties")) else None

    def running_nodes(self) -> list[Node]:
        return [node for node in self.nodes if self.pid(node) is not None]

    def log_tail(self, node: Node, lines: int = _LOG_TAIL) -> str:
        try:
            text = (self._node_dir(node) / "broker.log").read_text(errors="replace")
        except OSError:
            return "(no broker log)"
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until every running node answers Metadata and sees every running node."""
        deadline = time.monotonic() + timeout
        last_error = "no answer yet"
        while True:
            running = self.running_nodes()
            for node in self.nodes:
                if node not in running and (self._node_dir(node) / "starting").exists():
                    raise BrokerStartError(
                        f"Kafka node {node.node_id} exited while starting; its log ends with:\n" + self.log_tail(node)
                    )
            try:
                if running and all(self._answers(node, len(running)) for node in running):
                    for node in running:
                        (self._node_dir(node) / "starting").unlink(missing_ok=True)
                    return
            except BrokerError as exc:
                last_error = str(exc)
            if time.monotonic() > deadline:
                worst = running[0] if running else self.nodes[0]
                raise BrokerStartError(
                    f"Kafka did not answer within {timeout:.0f} s ({last_error}); "
                    f"node {worst.node_id}'s log ends with:\n{self.log_tail(worst)}"
                )
            time.sleep(0.2)

    # -- internals ------------------------------------------------------------------------

    def _answers(self, node: Node, expected_brokers: int) -> bool:
        return len(wire.metadata(node.address, timeout=2.0, login=self.login()).brokers) >= expected_brokers

    def login(self, user: str | None = None) -> wire.Login:
        """What the harness's wire requests log in with: ``user``'s (default: the super user's) SASL/PLAIN
        login on a cluster with ``security``, else None."""
        return None if self.security is None else self.security.login(user)

    def _node_dir(self, node: Node) -> Path:
        return self.root / f"node-{node.node_id}"

    def _write_state(self) -> None:
        state = {
            "cluster_id": self.cluster_id,
            "kafka_version": self.kafka_version,
            "nodes": [asdict(node) for node in self.nodes],
            "security": None if self.security is None else asdict(self.security),
        }
        (self.root / _STATE).write_text(json.dumps(state, indent=2) + "\n")

    def _write_config(self, node: Node, overrides: Mapping[str, str]) -> None:
        directory = self._node_dir(node)
        (directory / "data").mkdir(parents=True, exist_ok=True)
        replication = str(min(3, len(self.nodes)))
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes)
        listener = "PLAINTEXT" if self.security is None else "SASL_PLAINTEXT"
        config = {
            "process.roles": "broker,controller",
            "node.id": str(node.node_id),
            "controller.quorum.voters": voters,
            "listeners": f"{listener}://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"{listener}://127.0.0.1:{node.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": listener,
            "listener.security.protocol.map": f"{listener}:{listener},CONTROLLER:{listener}",
            "log.dirs": str(directory / "data"),
            "num.partitions": "1",
            # A mistyped topic stays missing, as on most managed clusters: aiokafka and kafka-python would create it
            # by asking for its metadata (the suite checks that polling it raises UnknownTopicError)
            "auto.create.topics.enable": "false",
            # Internal topics fit the cluster's size; a single node needs replication factor 1.
            "offsets.topic.replication.factor": replication,
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": replication,
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": replication,
            "share.coordinator.state.topic.min.isr": "1",
            # Groups form at once, and tests may use short session timeouts.
            "group.initial.rebalance.delay.ms": "0",
            "group.min.session.timeout.ms": "1000",
            # The same for KIP-848 groups (group.protocol=consumer), whose session timeout and heartbeat interval
            # the broker sets: assignments travel in heartbeat answers, so 5 s heartbeats made each rebalance
            # of a behaviour seconds long, and a member that died stayed 45 s
            "group.consumer.min.session.timeout.ms": "1000",
            "group.consumer.session.timeout.ms": "6000",
            "group.consumer.min.heartbeat.interval.ms": "100",
            "group.consumer.heartbeat.interval.ms": "500",
        }
        if len(self.nodes) > 1:
            config.update(
                {
                    # A node that dies is fenced, and leaves the in-sync replicas, in seconds, not 9 s + 30 s.
                    "broker.session.timeout.ms": "3000",
                    "broker.heartbeat.interval.ms": "500",
                    "replica.lag.time.max.ms": "5000",
                    # Topics survive one node down and stay writable with acks=all.
                    "default.replication.factor": replication,
                    "min.insync.replicas": "2",
                }
            )
        if self.security is not None:
            config.update(self.security.server_properties())
        config.update(overrides)
        lines = [f"{key}={value}" for key, value in config.items()]
        (directory / "server.properties").write_text("\n".join(lines) + "\n")

    def _java_cmd(self, java: str, libs: Path, heap: str | None) -> list[str]:
        heap = heap or os.environ.get("PAUSEABLE_BROKER_HEAP") or "512m"
        return [
            java, f"-Xmx{heap}", "-Xms128m", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20",
            "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={self.root / 'log4j2.properties'}",
            "-cp", str(libs / "*"),
        ]  # fmt: skip

    def _format(self, java: str, libs: Path) -> None:
        base = self._java_cmd(java, libs, "256m")
        procs = [
            (node, subprocess.Popen(
                [*base, "kafka.tools.StorageTool", "format", "-t", self.cluster_id,
                 "-c", str(self._node_dir(node) / "server.properties")],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            ))
            for node in self.nodes
        ]  # fmt: skip
        for node, proc in procs:
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                tail = "\n".join(out.splitlines()[-_LOG_TAIL:])
                raise BrokerStartError(f"formatting storage of Kafka node {node.node_id} failed:\n{tail}")

    def _launch(self, node: Node, java: str, libs: Path, heap: str | None) -> None:
        directory = self._node_dir(node)
        (directory / "starting").touch()
        with (directory / "broker.log").open("ab") as log:
            tie = ["setpriv", "--pdeathsig", "KILL", "--"] if self.die_with_parent and shutil.which("setpriv") else []
            proc = subprocess.Popen(
                [*tie, *self._java_cmd(java, libs, heap), "kafka.Kafka", str(directory / "server.properties")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=directory,
                start_new_session=True,  # outlives `pauseable broker start`; no terminal signals
            )
        self._children[node.node_id] = proc
        (directory / "kafka.pid").write_text(f"{proc.pid}\n")

    def _signal(self, node: Node, sig: signal.Signals) -> None:
        pid = self.pid(node)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def _reap(self, node: Node) -> None:
        """Collect the exit status when this object started the broker, and drop the pid file."""
        if (child := self._children.pop(node.node_id, None)) is not None:
            child.wait()
        (self._node_dir(node) / "kafka.pid").unlink(missing_ok=True)


def _new_cluster_id() -> str:
    """A random Kafka cluster id; like Kafka's own Uuid, never starting with '-' (read as an option)."""
    while (cluster_id := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()).startswith("-"):
        pass
    return cluster_id


def _free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that were free a moment ago."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _is_running(pid: int, marker: str) -> bool:
    """Whether ``pid`` is alive and is the process started with ``marker`` on its command line."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # some other user's process: never ours
    proc = Path(f"/proc/{pid}")
    if proc.exists():
        # The command line reads empty for a moment while the java launcher execs; a zombie's stays empty.
        for _ in range(40):
            try:
                args = (proc / "cmdline").read_bytes().split(b"\0")
                state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
            except OSError:
                return False
            if args != [b""] or state == "Z":
                return marker.encode() in args
            time.sleep(0.025)
        return False
    out = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False)
    return marker in out.stdout
