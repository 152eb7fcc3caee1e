"""A few Kafka wire-protocol requests, so the core needs no Kafka client.

The broker harness uses them to tell when a broker answers and to create topics for tests and
benchmarks, whichever client (if any) is installed (:mod:`.producer`, to produce their records);
tests, to tell when a group coordinator answers.
Only non-flexible request versions are used: they are plain big-endian structs, supported by every
Kafka 4.x broker (KIP-896 kept them).
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pauseable_testing.broker.errors import BrokerError

_API_VERSIONS = 18
_METADATA = 3
_METADATA_VERSION = 4
_CREATE_TOPICS = 19
_CREATE_TOPICS_VERSION = 4
_CREATE_PARTITIONS = 37
_CREATE_PARTITIONS_VERSION = 1
_OFFSET_FETCH = 9
_OFFSET_FETCH_VERSION = 2
_SASL_HANDSHAKE = 17
_SASL_HANDSHAKE_VERSION = 1
_SASL_AUTHENTICATE = 36
_SASL_AUTHENTICATE_VERSION = 0
_CLIENT_ID = b"pauseable-harness"
_TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True, slots=True)
class BrokerInfo:
    """One broker as Metadata reports it."""

    node_id: int
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class ClusterMetadata:
    """What a Metadata request tells about the cluster."""

    brokers: tuple[BrokerInfo, ...]
    controller_id: int
    #: topic name → number of partitions that have a leader (topics with an error are left out)
    topics: Mapping[str, int]
    #: (topic, partition) → the node id of its leader, -1 while it has none
    leaders: Mapping[tuple[str, int], int]


def parse_address(address: str) -> tuple[str, int]:
    """Split ``host:port`` (the first address of a bootstrap list) into its parts."""
    first = address.split(",")[0].strip()
    host, sep, port = first.rpartition(":")
    if not sep or not port.isdigit():
        raise BrokerError(
            f"bootstrap address {address!r} is not of the form host:port; "
            "set PAUSEABLE_BOOTSTRAP_SERVERS like 127.0.0.1:9092"
        )
    return host.strip("[]"), int(port)


class _Reader:
    __slots__ = ("_buf", "_pos")

    def __init__(self, buf: bytes) -> None:
        self._buf = buf
        self._pos = 0

    def _take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self._buf, self._pos)
        self._pos += struct.calcsize(fmt)
        return int(value)

    def int8(self) -> int:
        return self._take(">b")

    def int16(self) -> int:
        return self._take(">h")

    def int32(self) -> int:
        return self._take(">i")

    def int64(self) -> int:
        return self._take(">q")

    def string(self) -> str | None:
        size = self.int16()
        if size < 0:
            return None
        raw = self._buf[self._pos : self._pos + size]
        self._pos += size
        return raw.decode()

    def array(self) -> Iterator[None]:
        """Yield once per element; the caller reads the element in the loop body."""
        for _ in range(max(self.int32(), 0)):
            yield None


def _string(value: str | None) -> bytes:
    if value is None:
        return struct.pack(">h", -1)
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


#: a SASL/PLAIN user name and password, for a cluster started with ``security=`` (None: no authentication)
Login = tuple[str, str] | None


def _request(address: str, api_key: int, version: int, body: bytes, timeout: float, login: Login = None) -> _Reader:
    host, port = parse_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if login is not None:
                _sasl_plain(sock, login)
            response = _exchange(sock, api_key, version, body)
    except OSError as exc:
        raise BrokerError(f"no Kafka broker answered at {host}:{port}: {exc}") from exc
    reader = _Reader(response)
    reader.int32()  # correlation id: one request at a time on a connection, nothing to match
    return reader


def _exchange(sock: socket.socket, api_key: int, version: int, body: bytes) -> bytes:
    header = struct.pack(">hhi", api_key, version, 1) + struct.pack(">h", len(_CLIENT_ID)) + _CLIENT_ID
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    return _recv_exact(sock, size)


def _sasl_plain(sock: socket.socket, login: tuple[str, str]) -> None:
    """Log in on ``sock`` with SASL/PLAIN (SaslHandshake v1, then SaslAuthenticate v0)."""
    r = _Reader(_exchange(sock, _SASL_HANDSHAKE, _SASL_HANDSHAKE_VERSION, _string("PLAIN")))
    r.int32()
    if (error := r.int16()) != 0:
        raise BrokerError(f"the broker does not take SASL/PLAIN logins here (SaslHandshake error {error})")
    token = b"\0" + login[0].encode() + b"\0" + login[1].encode()
    r = _Reader(_exchange(sock, _SASL_AUTHENTICATE, _SASL_AUTHENTICATE_VERSION, struct.pack(">i", len(token)) + token))
    r.int32()
    error, message = r.int16(), r.string()
    if error != 0:
        raise BrokerError(f"SASL/PLAIN login of {login[0]!r} refused (error {error}): {message}")


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("the broker closed the connection mid-response")
        chunks += chunk
    return bytes(chunks)


def metadata(address: str, timeout: float = 5.0, login: Login = None) -> ClusterMetadata:
    """Ask one broker for the cluster's brokers, controller and topics (Metadata v4), logged in as ``login``."""
    body = struct.pack(">i", -1) + b"\x00"  # all topics; do not auto-create
    r = _request(address, _METADATA, _METADATA_VERSION, body, timeout, login)
    r.int32()  # throttle time
    brokers = []
    for _ in r.array():
        node_id, host, port = r.int32(), r.string() or "", r.int32()
        r.string()  # rack
        brokers.append(BrokerInfo(node_id, host, port))
    r.string()  # cluster id
    controller_id = r.int32()
    topics: dict[str, int] = {}
    leaders: dict[tuple[str, int], int] = {}
    for _ in r.array():
        error, name = r.int16(), r.string() or ""
        r.int8()  # is_internal
        count = 0  # partitions that have a leader: the ones a client can use
        for _ in r.array():
            part_error, partition, leader = r.int16(), r.int32(), r.int32()
            count += part_error == 0 and leader >= 0
            leaders[(name, partition)] = leader
            for _ in r.array():  # replicas
                r.int32()
            for _ in r.array():  # in-sync replicas
                r.int32()
        if error == 0:
            topics[name] = count
    return ClusterMetadata(tuple(sorted(brokers, key=lambda b: b.node_id)), controller_id, topics, leaders)


def offset_fetch_error(address: str, group: str, timeout: float = 5.0) -> int:
    """The error code of the broker at ``address`` to an OffsetFetch of ``group`` (v2, of no partition).

    0 once it answers as the group's coordinator; 16 (NOT_COORDINATOR) when it is not the coordinator, or
    not yet: on a cluster no group has used, until ``__consumer_offsets`` exists and then a moment more;
    14 (COORDINATOR_LOAD_IN_PROGRESS) while it loads the group's offsets.
    """
    body = _string(group) + struct.pack(">i", 0)  # no topics
    r = _request(address, _OFFSET_FETCH, _OFFSET_FETCH_VERSION, body, timeout)
    for _ in r.array():  # topics: none asked, none answered
        raise BrokerError(f"OffsetFetch of no partition of group {group!r} answered partitions")
    return r.int16()


def create_topic(
    address: str,
    name: str,
    partitions: int,
    replication_factor: int = 1,
    configs: Mapping[str, str] | None = None,
    timeout: float = 30.0,
    login: Login = None,
    exist_ok: bool = False,
) -> None:
    """Create one topic and wait until the controller has created it (CreateTopics v4).

    Raises :class:`BrokerError` with the broker's message when the topic cannot be created,
    including when it already exists (unless ``exist_ok``).
    """
    configs = dict(configs or {})
    body = struct.pack(">i", 1) + _string(name) + struct.pack(">ih", partitions, replication_factor)
    body += struct.pack(">i", 0)  # no manual assignment
    body += struct.pack(">i", len(configs))
    for key, value in configs.items():
        body += _string(key) + _string(value)
    body += struct.pack(">i", int(timeout * 1000)) + b"\x00"  # timeout, validate_only=false
    r = _request(address, _CREATE_TOPICS, _CREATE_TOPICS_VERSION, body, timeout + 5, login)
    r.int32()  # throttle time
    for _ in r.array():
        topic, error, message = r.string(), r.int16(), r.string()
        if error == _TOPIC_ALREADY_EXISTS and exist_ok:
            continue
        if error:
            hint = " (pick a new name)" if error == _TOPIC_ALREADY_EXISTS else ""
            raise BrokerError(f"cannot create topic {topic!r}: error {error}: {message}{hint}")
    _wait_for_partitions(address, name, partitions, timeout, login)


def _wait_for_partitions(address: str, topic: str, partitions: int, timeout: float, login: Login = None) -> None:
    """Wait until every partition of ``topic`` has a leader, so clients can use it at once."""
    deadline = time.monotonic() + timeout
    while (found := metadata(address, login=login).topics.get(topic, 0)) < partitions:
        if time.monotonic() > deadline:
            raise BrokerError(
                f"topic {topic!r} has {found} of {partitions} partitions with a leader after {timeout:.0f} s; "
                "check the broker log"
            )
        time.sleep(0.05)


def create_partitions(address: str, topic: str, total: int, timeout: float = 30.0) -> None:
    """Grow ``topic`` to ``total`` partitions (CreatePartitions v1)."""
    body = struct.pack(">i", 1) + _string(topic) + struct.pack(">i", total) + struct.pack(">i", -1)
    body += struct.pack(">i", int(timeout * 1000)) + b"\x00"
    r = _request(address, _CREATE_PARTITIONS, _CREATE_PARTITIONS_VERSION, body, timeout + 5)
    r.int32()  # throttle time
    for _ in r.array():
        name, error, message = r.string(), r.int16(), r.string()
        if error:
            raise BrokerError(f"cannot grow topic {name!r} to {total} partitions: error {error}: {message}")
    _wait_for_partitions(address, topic, total, timeout)
