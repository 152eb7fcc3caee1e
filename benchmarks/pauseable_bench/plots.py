"""PNG plots of a benchmark run: latency by strategy and backend, bytes fetched against backlog size."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pauseable.strategies import ALL_STRATEGIES


def write(document: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write ``latency.png`` and ``bytes.png`` into ``out_dir``; return their paths (none without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    summary = document["summary"]
    size = document["config"]["record_sizes"][0]
    backlog = max(document["config"]["backlogs"])
    backends = sorted({r["backend"] for r in summary}, key=lambda b: (b == "franz-go", b))
    strategies = [s for s in ALL_STRATEGIES if any(r["strategy"] == s for r in summary)]
    by = {(r["backend"], r["strategy"], r["backlog"], r["record_size"]): r for r in summary}

    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(backends)
    for i, backend in enumerate(backends):
        xs, ys = [], []
        for j, strategy in enumerate(strategies):
            r = by.get((backend, strategy, backlog, size))
            if r is not None:
                xs.append(j + (i - (len(backends) - 1) / 2) * width)
                ys.append(r["latency_p50_s"] * 1000)
        ax.bar(xs, ys, width=width, label=backend)
    ax.set_xticks(range(len(strategies)), strategies)
    ax.set_yscale("log")
    ax.set_ylabel("resume → first fresh record, ms (median, log)")
    ax.set_title(f"Latency after resume, backlog {backlog:,} records of {size} B")
    ax.legend(fontsize="small", ncol=len(backends), loc="upper center", bbox_to_anchor=(0.5, -0.1))
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    latency = out_dir / "latency.png"
    fig.savefig(latency, dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    backlogs = sorted(document["config"]["backlogs"])
    for strategy, color, style in (("seek-to-end", "tab:blue", "-"), ("discard-until", "tab:red", "--")):
        for n, backend in enumerate(backends):
            points = [(b, by[(backend, strategy, b, size)]["bytes_fetched_p50"]) for b in backlogs
                      if (backend, strategy, b, size) in by]  # fmt: skip
            if points:
                label = f"{strategy} (each of {len(backends)} backends)" if n == 0 else None
                ax.plot(*zip(*points, strict=True), marker="o", linestyle=style, color=color, alpha=0.6, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("backlog (records produced while paused)")
    ax.set_ylabel("bytes fetched to get past it (median)")
    ax.set_title("Seek past the backlog (solid) or fetch and drop it (dashed)")
    ax.legend(fontsize="small")
    ax.grid(which="both", alpha=0.3)
    fig.tight_layout()
    fetched = out_dir / "bytes.png"
    fig.savefig(fetched, dpi=110)
    plt.close(fig)
    return [latency, fetched]
