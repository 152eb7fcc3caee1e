"""CPU time of the client process and of the broker, read apart (the 2 cores are shared by both).

The broker is found by the port it listens on: the socket inode of a listening loopback port in
``/proc/net/tcp{,6}``, then the process holding that inode among ``/proc/*/fd``. This works for the
broker ``pauseable bench`` starts and for one ``PAUSEABLE_BOOTSTRAP_SERVERS`` names on this machine
(run by the same user); elsewhere (another host, no ``/proc``) broker CPU is reported as None.
"""

from __future__ import annotations

import contextlib
import os
import resource
from collections.abc import Sequence
from pathlib import Path

_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def client_cpu_s() -> float:
    """User + system CPU of this process (all its threads: librdkafka's and the event loop's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def broker_pids(bootstrap: str) -> list[int]:
    """The pids of the processes listening on ``bootstrap``'s ports on this machine (none if not found)."""
    ports = set()
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        if host in ("127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0") and port.isdigit():
            ports.add(int(port))
    inodes = _listening_inodes(ports)
    if not inodes:
        return []
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and _holds_any(proc, inodes):
            pids.append(int(proc.name))
    return sorted(pids)


def processes_cpu_s(pids: Sequence[int]) -> float | None:
    """User + system CPU of ``pids`` (from ``/proc/PID/stat``), or None when one cannot be read."""
    if not pids:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        # The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of the whole line)
    return total / ticks


def _listening_inodes(ports: set[int]) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if len(fields) > 9 and fields[3] == _LISTEN and int(fields[1].rsplit(":", 1)[1], 16) in ports:
                    inodes.add(fields[9])
    return inodes


def _holds_any(proc: Path, inodes: set[str]) -> bool:
    wanted = {f"socket:[{inode}]" for inode in inodes}
    try:
        for fd in (proc / "fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in wanted:
                    return True
    except OSError:  # another user's process, or gone
        return False
    return False
