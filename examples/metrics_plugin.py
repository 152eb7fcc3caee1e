"""A metrics plugin: a module of hook implementations, found through an entry point of its distribution.

Its pyproject.toml registers it: ``[project.entry-points.pauseable] my-metrics = "metrics_plugin"``.
"""

from collections import Counter
from typing import Any

import pauseable

#: Records skipped at resume, by topic (a prometheus_client Counter with a "topic" label works the same).
SKIPPED: Counter[str] = Counter()


@pauseable.hookimpl
def pauseable_skipped(controller: Any, skipped: pauseable.SkippedRange) -> None:
    SKIPPED[skipped.partition.topic] += skipped.count
