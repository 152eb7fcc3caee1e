"""The conformance matrix: behaviour by backend, from the outcomes of a pytest run."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: How outcomes combine when one behaviour has several test cases on a backend (parametrized).
_SEVERITY = {"passed": 0, "skipped": 1, "xfailed": 2, "failed": 3}
_SYMBOL = {"passed": "pass", "failed": "FAIL", "xfailed": "xfail", "skipped": "skip"}


@dataclass
class Cell:
    outcome: str
    reason: str = ""


@dataclass
class Matrix:
    """Outcomes by behaviour (a test's name, as a sentence) and backend."""

    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)

    def record(self, behaviour: str, backend: str, outcome: str, reason: str = "") -> None:
        row = self.cells.setdefault(behaviour, {})
        current = row.get(backend)
        if current is None or _SEVERITY[outcome] > _SEVERITY[current.outcome]:
            row[backend] = Cell(outcome, reason)

    @property
    def backends(self) -> list[str]:
        return sorted({backend for row in self.cells.values() for backend in row})

    def failures(self, backend: str) -> set[str]:
        return {b for b, row in self.cells.items() if backend in row and row[backend].outcome == "failed"}

    def rows(self) -> Iterable[tuple[str, list[Cell | None]]]:
        backends = self.backends
        for behaviour in sorted(self.cells):
            yield behaviour, [self.cells[behaviour].get(b) for b in backends]

    def to_json(self) -> str:
        data = {
            "backends": self.backends,
            "behaviours": {
                behaviour: {b: {"outcome": c.outcome, "reason": c.reason} for b, c in sorted(row.items())}
                for behaviour, row in sorted(self.cells.items())
            },
        }
        return json.dumps(data, indent=2) + "\n"

    def to_markdown(self) -> str:
        lines = ["| behaviour | " + " | ".join(self.backends) + " |", "|---" * (len(self.backends) + 1) + "|"]
        for behaviour, cells in self.rows():
            shown = [_markdown_cell(c) for c in cells]
            lines.append(f"| {behaviour} | " + " | ".join(shown) + " |")
        passed = sum(1 for _, cells in self.rows() for c in cells if c and c.outcome == "passed")
        total = sum(1 for _, cells in self.rows() for c in cells if c)
        lines.append("")
        lines.append(f"{len(self.cells)} behaviours, {len(self.backends)} backends: {passed} of {total} pass.")
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        backends = self.backends
        width = max((len(b) for b in self.cells), default=9)
        cols = [max(len(b), 5) for b in backends]
        header = "behaviour".ljust(width) + "  " + "  ".join(b.ljust(w) for b, w in zip(backends, cols, strict=True))
        lines = [header, "-" * len(header)]
        for behaviour, cells in self.rows():
            shown = [(_SYMBOL[c.outcome] if c else "-").ljust(w) for c, w in zip(cells, cols, strict=True)]
            lines.append(behaviour.ljust(width) + "  " + "  ".join(shown))
        notes = [
            f"{behaviour} [{b}]: {c.outcome}: {c.reason}"
            for behaviour, row in sorted(self.cells.items())
            for b, c in sorted(row.items())
            if c.reason and c.outcome != "passed"
        ]
        return "\n".join(lines + notes) + "\n"

    def write(self, path: Path) -> None:
        text = self.to_json() if path.suffix == ".json" else self.to_markdown()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def behaviour_name(function_name: str) -> str:
    """``test_pausing_is_idempotent`` → ``pausing is idempotent``."""
    return function_name.removeprefix("test_").replace("_", " ")


def _markdown_cell(cell: Cell | None) -> str:
    if cell is None:
        return "-"
    if cell.outcome == "passed":
        return "✅"
    mark = {"failed": "❌", "xfailed": "⚠️ xfail", "skipped": "⏭ skip"}[cell.outcome]
    return f"{mark}: {cell.reason}" if cell.reason else mark
