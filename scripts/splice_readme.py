"""Replace a generated block of a page: ``python scripts/splice_readme.py NAME FILE TARGET``.

The block sits between ``<!-- NAME -->`` and ``<!-- /NAME -->`` in TARGET, a path from the repository's
root (a page of the docs site, such as ``docs/contract.md``); FILE's text goes in between.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if len(sys.argv) != 4:
    sys.exit("usage: python scripts/splice_readme.py NAME FILE TARGET (e.g. docs/contract.md)")
name, source, target = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
page = ROOT / target
text = page.read_text()
start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
if start not in text or end not in text:
    sys.exit(f"{target} has no {start} ... {end} block")
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
page.write_text(f"{head}{start}\n{source.read_text().strip()}\n{end}{tail}")
print(f"{target}: {name} updated from {source}")
