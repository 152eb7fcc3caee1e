"""What a schedule did, kept so that a failing run leaves enough behind to diagnose it.

A :class:`Journal` collects timestamped events (each step, the offsets each poll delivered, commits and
their results, resume reports, positions after a rebuild) and, with :class:`ClientLog`, the last lines
the Kafka clients logged. :meth:`Journal.dump` writes it all to one JSON file, whose path the failure
names. The directory is ``$PAUSEABLE_FAILURE_DIR``, else ``pauseable-failures/`` in the working directory.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: the loggers of the Python clients, and the one librdkafka's lines go to (see :func:`client_debug_config`)
CLIENT_LOGGERS = ("kafka", "aiokafka", "pauseable.client")
#: librdkafka's debug contexts that explain a consumer's positions. Not ``topic``: with a ``logger`` (which
#: routes librdkafka's log through the consumer's queue) its DESTROY line can be logged while that queue's lock
#: is held, and ``close()`` deadlocks (rd_kafka_op_filter destroying an outdated op; librdkafka 2.16)
_LIBRDKAFKA_DEBUG = "consumer,cgrp,fetch"


def client_debug_config(client: str) -> dict[str, Any]:
    """Native settings that send a client's debug log to :data:`CLIENT_LOGGERS` (empty: it logs there already)."""
    if client == "confluent-kafka":
        return {"debug": _LIBRDKAFKA_DEBUG, "logger": logging.getLogger("pauseable.client.librdkafka")}
    return {}


class ClientLog(logging.Handler):
    """The last ``keep`` lines the clients logged at DEBUG and above, in memory, while active."""

    def __init__(self, keep: int = 50_000) -> None:
        super().__init__(logging.DEBUG)
        self.lines: collections.deque[str] = collections.deque(maxlen=keep)
        self.setFormatter(logging.Formatter("%(asctime)s.%(msecs)03d %(name)s %(levelname)s %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a log line must never break the run it describes
            self.handleError(record)

    @contextmanager
    def active(self) -> Iterator[ClientLog]:
        loggers = [logging.getLogger(name) for name in CLIENT_LOGGERS]
        saved = [(lg.level, lg.propagate) for lg in loggers]
        for lg in loggers:
            lg.addHandler(self)
            lg.setLevel(logging.DEBUG)
            lg.propagate = False  # the debug flood stays here, out of pytest's captured logs
        try:
            yield self
        finally:
            for lg, (level, propagate) in zip(loggers, saved, strict=True):
                lg.removeHandler(self)
                lg.setLevel(level)
                lg.propagate = propagate


class Journal:
    """Timestamped events of one run, in order."""

    def __init__(self, **about: Any) -> None:
        self.about = about
        self.events: list[dict[str, Any]] = []
        self._start = time.monotonic()
        self.step = -1

    def add(self, event: str, **details: Any) -> None:
        self.events.append(
            {"t": round(time.monotonic() - self._start, 3), "step": self.step, "event": event, **details}
        )

    def delivered(self, offsets: Mapping[Any, list[int]]) -> None:
        if offsets:
            self.add("delivered", offsets={str(tp): ranges(o) for tp, o in offsets.items()})

    def dump(self, failure: str, extra: Mapping[str, Any], log: ClientLog | None = None) -> Path:
        """Write the journal, ``extra`` (e.g. the ledger per offset) and the client log; return the file."""
        folder = Path(os.environ.get("PAUSEABLE_FAILURE_DIR") or "pauseable-failures")
        folder.mkdir(parents=True, exist_ok=True)
        name = "-".join(str(v) for v in self.about.values())
        path = folder / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json".replace("/", "_")
        document = {
            "about": self.about,
            "failure": failure,
            **extra,
            "events": self.events,
            "client_log": list(log.lines) if log is not None else [],
        }
        path.write_text(json.dumps(document, indent=1, default=str))
        return path


def ranges(offsets: list[int]) -> str:
    """Offsets in delivery order as runs, ``[0, 1, 2, 5]`` → ``"0-2 5"`` (repeats and reorders show)."""
    runs: list[list[int]] = []
    for o in offsets:
        if runs and runs[-1][1] + 1 == o:
            runs[-1][1] = o
        else:
            runs.append([o, o])
    return " ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
