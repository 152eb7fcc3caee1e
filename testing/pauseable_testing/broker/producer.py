"""A Kafka producer over the wire protocol, so the kit produces test records with no client of its own choosing.

Records go to each partition's leader in record batches (format v2, uncompressed) with Produce v7 and
``acks=all``. Test records are idempotent (InitProducerId, then a sequence number per partition): a batch
sent again after a broker fault or a leader change is written once, so a ledger never sees a stranger.
Bulk backlogs are not: they repeat one batch of identical records, checksummed once, because the
checksum (CRC-32C) is computed in Python here.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pauseable_testing.broker.errors import BrokerError
from pauseable_testing.broker.wire import _request, _string, metadata

_PRODUCE = 0
_PRODUCE_VERSION = 7  # non-flexible, record batches v2, idempotence; every Kafka 4.x broker answers it
_INIT_PRODUCER_ID = 22
_INIT_PRODUCER_ID_VERSION = 1
#: errors after which the batch is sent again (to the leader asked for anew): the leader moved or is being
#: elected (3: a node just restarted answers for a partition it does not lead yet), too few replicas are in sync
#: for now, the request timed out, a coordinator is loading
_RETRIABLE = frozenset({3, 5, 6, 7, 14, 15, 19, 20, 56, 74, 75})
#: a bulk batch: well below the broker's message.max.bytes (1 MiB by default), and checksummed quickly
_BATCH_BYTES = 256_000
_RETRY_S = 60.0


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum of a record batch."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _varint(value: int) -> bytes:
    """A zig-zag varint (record fields)."""
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag >= 0x80:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


def _record(offset_delta: int, value: bytes) -> bytes:
    body = b"\x00" + _varint(0) + _varint(offset_delta) + _varint(-1) + _varint(len(value)) + value + _varint(0)
    return _varint(len(body)) + body


@dataclass(frozen=True)
class _Identity:
    """An idempotent producer's id and epoch; (-1, -1) for none."""

    producer_id: int = -1
    epoch: int = -1


_NO_IDENTITY = _Identity()


def record_batch(
    values: Sequence[bytes], timestamp_ms: int, identity: _Identity = _NO_IDENTITY, sequence: int = -1
) -> bytes:
    """A record batch (format v2, uncompressed, CreateTime) of ``values``, keys null, no headers."""
    records = b"".join(_record(i, value) for i, value in enumerate(values))
    after_crc = struct.pack(
        ">hiqqqhii", 0, len(values) - 1, timestamp_ms, timestamp_ms, identity.producer_id, identity.epoch, sequence,
        len(values),
    ) + records  # fmt: skip
    after_length = struct.pack(">ibI", -1, 2, crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


class WireProducer:
    """Produces to a cluster with the kit's own wire client: no Kafka client library needed."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._bootstrap = [address.strip() for address in bootstrap_servers.split(",") if address.strip()]
        self._identity: _Identity | None = None
        self._sequences: dict[tuple[str, int], int] = {}
        #: each partition's leader as last asked for; asked again after an error
        self._leaders: dict[tuple[str, int], str] = {}

    def produce(self, topic: str, values: Sequence[bytes], partition: int = 0, timestamp_ms: int | None = None) -> int:
        """Write ``values`` to ``topic[partition]`` as one idempotent batch; return the first record's offset."""
        identity = self._identity or self._init_producer_id()
        self._identity = identity
        sequence = self._sequences.get((topic, partition), 0)
        stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
        batch = record_batch(values, stamp, identity, sequence)
        base = self._send(topic, partition, batch)
        self._sequences[(topic, partition)] = (sequence + len(values)) % 2**31
        return base

    def produce_bulk(self, topic: str, count: int, value: bytes, partition: int = 0) -> None:
        """Write ``count`` records of ``value`` to ``topic[partition]`` as fast as this can (not idempotent)."""
        per_batch = max(1, _BATCH_BYTES // (len(value) + 16))
        stamp = int(time.time() * 1000)
        batches: dict[int, bytes] = {}
        left = count
        while left > 0:
            size = min(left, per_batch)
            if size not in batches:
                batches[size] = record_batch([value] * size, stamp)
            self._send(topic, partition, batches[size])
            left -= size

    def _init_producer_id(self) -> _Identity:
        body = _string(None) + struct.pack(">i", 60_000)  # no transactional id
        deadline = time.monotonic() + _RETRY_S
        while True:
            try:
                r = _request(self._any_broker(), _INIT_PRODUCER_ID, _INIT_PRODUCER_ID_VERSION, body, 30)
                r.int32()  # throttle time
                error = r.int16()
                producer_id, epoch = r.int64(), r.int16()
            except BrokerError:
                error = -1
            if error == 0:
                return _Identity(producer_id, epoch)
            if time.monotonic() > deadline:
                raise BrokerError(f"no producer id from the cluster at {','.join(self._bootstrap)}: error {error}")
            time.sleep(0.2)

    def _any_broker(self) -> str:
        for address in self._bootstrap:
            try:
                metadata(address, timeout=2.0)
            except BrokerError:
                continue
            return address
        raise BrokerError(f"no broker of {','.join(self._bootstrap)} answers")

    def _leader(self, topic: str, partition: int) -> str | None:
        if (known := self._leaders.get((topic, partition))) is not None:
            return known
        for address in self._bootstrap:
            try:
                cluster = metadata(address, timeout=2.0)
            except BrokerError:
                continue
            leader = cluster.leaders.get((topic, partition), -1)
            hosts = {b.node_id: f"{b.host}:{b.port}" for b in cluster.brokers}
            if (found := hosts.get(leader)) is not None:
                self._leaders[(topic, partition)] = found
            return found
        return None

    def _send(self, topic: str, partition: int, batch: bytes) -> int:
        """Send one batch to the partition's leader until it is written; its base offset."""
        body = _string(None) + struct.pack(">hii", -1, 30_000, 1) + _string(topic)  # acks=all, one topic
        body += struct.pack(">ii", 1, partition) + struct.pack(">i", len(batch)) + batch
        deadline = time.monotonic() + _RETRY_S
        error = -1
        while time.monotonic() < deadline:
            leader = self._leader(topic, partition)
            if leader is not None:
                try:
                    r = _request(leader, _PRODUCE, _PRODUCE_VERSION, body, 35)
                except BrokerError:
                    error = -1  # the connection went: send the same batch again (idempotent ones are written once)
                else:
                    for _ in r.array():
                        r.string()
                        for _ in r.array():
                            r.int32()  # partition
                            error, base = r.int16(), r.int64()
                            r.int64()  # log append time
                            r.int64()  # log start offset
                    if error == 0:
                        return base
                    if error not in _RETRIABLE:
                        raise BrokerError(f"producing to {topic}[{partition}] failed: error {error}")
                self._leaders.pop((topic, partition), None)  # ask who leads it now
            time.sleep(0.1)
        raise BrokerError(f"producing to {topic}[{partition}] failed for {_RETRY_S:.0f} s: last error {error}")

    def close(self) -> None:
        """Nothing to release: every request has a connection of its own."""
