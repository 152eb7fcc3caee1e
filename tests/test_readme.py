"""The generated parts of the docs pages are current (the README links to them)."""

from __future__ import annotations

from pathlib import Path

from pauseable_testing.matrix import behaviour_name
from pauseable_testing.suite import ConformanceSuite

CONTRACT = (Path(__file__).resolve().parent.parent / "docs" / "contract.md").read_text()


def test_the_contract_page_matrix_lists_every_behaviour_of_the_suite() -> None:
    block = CONTRACT.split("<!-- conformance-matrix -->")[1].split("<!-- /conformance-matrix -->")[0]
    behaviours = sorted(behaviour_name(name) for name in dir(ConformanceSuite) if name.startswith("test_"))
    rows = [line.split("|")[1].strip() for line in block.splitlines() if line.startswith("| ")]
    listed = sorted(rows[1:])  # after the header row
    assert listed == behaviours, "run `make matrix` to regenerate the conformance matrix of docs/contract.md"
    assert f"{len(behaviours)} behaviours, 4 backends" in block
