"""Taking a section's samples: each in a process of its own, franz-go's with the Go program, one progress bar.

Every section of ``pauseable bench`` runs the same loop: per run, say what is measured, make the run's
configuration (often a fresh topic), run the sample in a fresh process (``python -m <worker> CONFIG`` for
a Python backend, the franz-go anchor for ``franz-go``) and read its JSON. :func:`take` is that loop.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import Progress

from pauseable_testing.broker import create_topic
from pauseable_testing.cluster import unique_name

#: the franz-go program's side of a section: ``anchor.<scenario>(binary, config)``
Anchor = Callable[[Path, dict[str, Any]], dict[str, Any]]

FRANZ_GO = "franz-go"


@dataclass(frozen=True)
class Run:
    """One sample to take."""

    #: a Python backend's name, or ``"franz-go"``
    backend: str
    #: what the progress bar says beside the backend
    label: str
    #: the sample's configuration, or what makes it when the run's turn comes (e.g. a fresh topic)
    config: Mapping[str, Any] | Callable[[], dict[str, Any]]


def take(
    progress: Progress,
    title: str,
    worker: str,
    runs: Sequence[Run],
    franz: Path | None = None,
    anchor: Anchor | None = None,
) -> list[dict[str, Any]]:
    """Each run's sample, in order: ``python -m worker CONFIG`` for a Python backend, ``anchor(franz, CONFIG)``
    for franz-go (a run of it needs both)."""
    task = progress.add_task(title, total=len(runs))
    # rich draws no bar when stderr is not a terminal (CI, a log file): one plain line per sample instead.
    plain = not progress.console.is_terminal
    found = []
    for number, run in enumerate(runs, 1):
        progress.update(task, description=f"{run.backend} {run.label}")
        if plain:
            progress.console.print(f"{title}: {number}/{len(runs)} {run.backend} {run.label}", highlight=False)
        config = run.config() if callable(run.config) else dict(run.config)
        if run.backend == FRANZ_GO:
            assert franz is not None and anchor is not None, "a franz-go run needs the binary and its scenario"
            found.append(anchor(franz, config))
        else:
            found.append(run_worker(worker, config))
        progress.advance(task)
    return found


def runners(backends: Sequence[str], franz: Path | None) -> list[str]:
    """The Python backends, then franz-go when its program was built."""
    return [*backends, *([FRANZ_GO] if franz else [])]


def on_fresh_topic(bootstrap: str, name: str, partitions: int = 1, **fields: Any) -> Callable[[], dict[str, Any]]:
    """A run's configuration made when its turn comes: ``fields`` with ``bootstrap`` and a new topic of
    ``partitions`` named after ``name`` (created then, so the broker holds only the topics run so far)."""

    def make() -> dict[str, Any]:
        topic = unique_name(name)
        create_topic(bootstrap, topic, partitions=partitions)
        return {"bootstrap": bootstrap, "topic": topic, **fields}

    return make


def run_worker(module: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``python -m module CONFIG`` in a fresh process; its last line of output is the sample."""
    result = subprocess.run(
        [sys.executable, "-m", module, json.dumps(config)], capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark sample {module} {config} failed:\n{result.stderr[-2000:]}")
    sample: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return sample
