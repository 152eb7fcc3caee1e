"""Replace a generated block of README.md: ``python scripts/splice_readme.py NAME FILE``.

The block sits between ``<!-- NAME -->`` and ``<!-- /NAME -->``; FILE's text goes in between.
"""

import sys
from pathlib import Path

name, source = sys.argv[1], Path(sys.argv[2])
readme = Path(__file__).resolve().parent.parent / "README.md"
text = readme.read_text()
start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
if start not in text or end not in text:
    sys.exit(f"README.md has no {start} ... {end} block")
head, rest = text.split(start, 1)
_, tail = rest.split(end, 1)
readme.write_text(f"{head}{start}\n{source.read_text().strip()}\n{end}{tail}")
print(f"README.md: {name} updated from {source}")
