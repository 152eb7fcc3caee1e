"""``pauseable pause|resume|status|control-topic``: the operator's commands (an :class:`~pauseable.group.Operator`).

Connection and security settings are the chosen client's own configuration (``--client``): ``--config-file``
(``key=value`` lines, ``#`` comments) and ``--config key=value`` on top, e.g. ``--config
bootstrap.servers=host:9092`` for confluent-kafka, ``--config bootstrap_servers=host:9092`` for kafka-python.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from dataclasses import asdict
from typing import Any

from pauseable.errors import InvalidArgumentError
from pauseable.group.operator import CLIENTS, Operator, PartitionStatus
from pauseable.group.records import GROUP_STRATEGIES
from pauseable.group.setup import DEFAULT_TOPIC

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(text: str) -> float:
    """``30s``, ``500ms``, ``5m``, ``2h`` or a number of seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", text)
    if match is None or float(match[1]) <= 0:
        raise InvalidArgumentError(f"--for takes a duration > 0 such as 30s, 500ms, 5m or 2h, got {text!r}")
    return float(match[1]) * _UNITS[match[2] or "s"]


def _value(text: str) -> Any:
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return {"true": True, "false": False}.get(text.lower(), text)


def config_of(args: argparse.Namespace) -> dict[str, Any]:
    """The client configuration: ``--config-file`` lines, then ``--config`` pairs."""
    lines: list[str] = []
    if args.config_file:
        try:
            with open(args.config_file, encoding="utf-8") as file:
                lines += [line.strip() for line in file if line.strip() and not line.strip().startswith("#")]
        except OSError as exc:
            raise InvalidArgumentError(f"cannot read --config-file {args.config_file!r}: {exc.strerror}") from exc
    lines += args.config or []
    config: dict[str, Any] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise InvalidArgumentError(f"a configuration setting is key=value, got {line!r}")
        config[key.strip()] = _value(value.strip())
    if not config:
        raise InvalidArgumentError(
            "no client configuration: give --config bootstrap.servers=HOST:PORT (confluent-kafka's key names; "
            "kafka-python and aiokafka: bootstrap_servers=...) or --config-file"
        )
    return config


def _operator(args: argparse.Namespace) -> Operator:
    return Operator(config_of(args), client=args.client, control_topic=args.control_topic, by=args.by)


def _time(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _pause(args: argparse.Namespace) -> int:
    seconds = None if args.for_ is None else duration(args.for_)
    with _operator(args) as operator:
        pause = operator.pause(
            args.group, args.topic, args.partition, for_seconds=seconds, then=args.then, reason=args.reason
        )
    what = args.topic if args.partition is None else f"{args.topic}[{args.partition}]"
    until = f" until {_time(pause.until)} UTC" if pause.until else ""
    print(f"paused {what} for group {args.group}{until}, then {pause.then} (pause {pause.id})")
    return 0


def _resume(args: argparse.Namespace) -> int:
    with _operator(args) as operator:
        ended = operator.resume(args.group, args.topic, args.partition, then=args.then)
    what = args.topic if args.partition is None else f"{args.topic}[{args.partition}]"
    if not ended:
        print(f"{what} is not paused for group {args.group}")
    for pause in ended:
        print(f"resumed {what} for group {args.group}, then {pause.then} (pause {pause.id})")
    return 0


def _status(args: argparse.Namespace) -> int:
    with _operator(args) as operator:
        found = operator.status(args.group, args.topic)
    if args.json:
        print(json.dumps([asdict(s) for s in found], indent=2))
        return 0
    print(_table(found))
    return 0


def _table(found: list[PartitionStatus]) -> str:
    headers = ("partition", "state", "by", "since (UTC)", "until (UTC)", "then", "reason", "applied",
               "committed", "end", "lag")  # fmt: skip
    rows = [
        (
            s.partition,
            s.state,
            s.pause.by if s.pause else "-",
            _time(s.pause.paused_at) if s.pause else "-",
            _time(s.pause.until) if s.pause else "-",
            s.pause.then if s.pause else "-",
            (s.pause.reason or "-") if s.pause else "-",
            s.applied or "-",
            "-" if s.committed is None else s.committed,
            s.end,
            "-" if s.lag is None else s.lag,
        )
        for s in found
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [headers, tuple("-" * w for w in widths), *rows]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines)


def _create(args: argparse.Namespace) -> int:
    with _operator(args) as operator:
        replication = operator.create_control_topic(args.partitions, args.replication)
    print(f"created the control topic {args.control_topic} and its marks topic {operator.marks_topic} (compacted, "
          f"replication {replication})")  # fmt: skip
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--client", choices=CLIENTS, help="the client library to use (default: the first installed)")
    parser.add_argument("--config", action="append", metavar="KEY=VALUE", help="a client setting (repeatable)")
    parser.add_argument("--config-file", metavar="PATH", help="client settings, key=value lines")
    parser.add_argument("--control-topic", default=DEFAULT_TOPIC, help=f"default: {DEFAULT_TOPIC}")
    parser.add_argument("--by", help="who is operating, recorded with the pause (default: user@host)")


def _target(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group", required=True, help="the consumer group")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--partition", type=int, help="one partition only (default: the whole topic)")


def add_commands(commands: Any) -> None:
    """Add ``pause``, ``resume``, ``status`` and ``control-topic`` to the ``pauseable`` command."""
    pause = commands.add_parser("pause", help="pause a topic for a whole consumer group (group pauses)")
    _target(pause)
    pause.add_argument("--for", dest="for_", metavar="DURATION", help="end by itself after 30s, 5m, ...")
    pause.add_argument("--then", choices=GROUP_STRATEGIES, default="continue", help="the resume strategy")
    pause.add_argument("--reason", default="", help="why, recorded with the pause")
    _common(pause)
    pause.set_defaults(func=_pause)

    resume = commands.add_parser("resume", help="end a group pause")
    _target(resume)
    resume.add_argument("--then", choices=GROUP_STRATEGIES, help="override the pause's resume strategy")
    _common(resume)
    resume.set_defaults(func=_resume)

    status = commands.add_parser("status", help="each partition of a topic: paused, by whom, since when, lag")
    _target(status)
    status.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _common(status)
    status.set_defaults(func=_status)

    control = commands.add_parser("control-topic", help="manage the group pauses' control topic")
    actions = control.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="create it and its marks topic (<name>-marks): compacted, replicated min(3, brokers) times"
    )
    create.add_argument("--partitions", type=int, default=1)
    create.add_argument("--replication", type=int, help="default: min(3, brokers)")
    _common(create)
    create.set_defaults(func=_create)
