"""An mkdocs hook: the benchmark's plots join the site from ``benchmarks/results`` at build time.

They are written there by ``make bench``; copying them into ``docs/`` by hand would leave two copies to
drift. The pages link them as ``img/<name>.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
PLOTS = ("latency.png", "bytes.png")


def on_files(files: Files, config: Any) -> Files:
    """Add each plot as ``img/<name>``, read straight from the benchmark's results."""
    for name in PLOTS:
        files.append(File.generated(config, f"img/{name}", abs_src_path=str(RESULTS / name)))
    return files
