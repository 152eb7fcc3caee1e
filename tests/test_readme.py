"""The README's generated parts are current."""

from __future__ import annotations

from pathlib import Path

from pauseable_testing.matrix import behaviour_name
from pauseable_testing.suite import ConformanceSuite

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_readme_matrix_lists_every_behaviour_of_the_suite() -> None:
    block = README.split("<!-- conformance-matrix -->")[1].split("<!-- /conformance-matrix -->")[0]
    behaviours = sorted(behaviour_name(name) for name in dir(ConformanceSuite) if name.startswith("test_"))
    rows = [line.split("|")[1].strip() for line in block.splitlines() if line.startswith("| ")]
    listed = sorted(rows[1:])  # after the header row
    assert listed == behaviours, "run `make matrix` to regenerate the README's conformance matrix"
    assert f"{len(behaviours)} behaviours, 4 backends" in block
