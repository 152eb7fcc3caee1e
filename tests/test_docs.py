"""The docs site: it builds in strict mode and offline, its API reference has every public name of the
runtime, and every example it shows is a file of ``examples/`` that tests/test_examples.py runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import pauseable

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [*sorted(DOCS.glob("*.md")), ROOT / "README.md"]
CONFIG = (ROOT / "mkdocs.yml").read_text()
#: Plugins that build from the repository alone (material's social, privacy and blog plugins fetch).
OFFLINE_PLUGINS = {"search", "mkdocstrings"}


def reference_entry(name: str) -> str:
    """Where the reference renders a public name from: where it is defined, or the package for a value."""
    obj = getattr(pauseable, name)
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if module and qualname and module.startswith("pauseable") and callable(obj):
        return f"{module}.{qualname}"
    return f"pauseable.{name}"


def test_every_public_name_of_the_runtime_has_an_entry_in_the_api_reference() -> None:
    entries = set(re.findall(r"^::: (\S+)$", (DOCS / "reference.md").read_text(), re.M))
    missing = [name for name in pauseable.__all__ if reference_entry(name) not in entries]
    assert not missing, f"add `::: {reference_entry(missing[0])}` to docs/reference.md (missing: {missing})"


def test_the_site_configuration_fetches_nothing() -> None:
    assert "import:" not in CONFIG, "no remote inventories: the build must not need the network"
    plugins = CONFIG.split("\nplugins:\n")[1].split("\n\n")[0]
    names = set(re.findall(r"^  - (\w[\w-]*)", plugins, re.M))
    assert names <= OFFLINE_PLUGINS, f"plugins that may fetch: {names - OFFLINE_PLUGINS}"
    assert re.search(r"^  font: false", CONFIG, re.M), "the theme's fonts come from Google Fonts unless `font: false`"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_python_block_shown_is_an_example_that_a_test_runs(page: Path) -> None:
    examples = {path.read_text().strip() for path in (ROOT / "examples").glob("*.py")}
    for block in re.findall(r"^```python\n(.*?)^```$", page.read_text(), re.M | re.S):
        assert block.strip() in examples, f"{page.name}: a python block that is not a whole file of examples/:\n{block}"


def test_every_example_is_run_by_a_test() -> None:
    runner = (ROOT / "tests" / "test_examples.py").read_text()
    for path in (ROOT / "examples").glob("*.py"):
        assert f'"{path.name}"' in runner, f"examples/{path.name} is run by no test of tests/test_examples.py"


def test_the_site_builds_in_strict_mode_offline_with_the_plots_and_every_reference_entry(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir",
         str(site)], capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},  # material's notice of its successor
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    for plot in ("latency.png", "bytes.png"):
        assert (site / "img" / plot).read_bytes() == (ROOT / "benchmarks" / "results" / plot).read_bytes()
    reference = (site / "reference.html").read_text()
    for name in pauseable.__all__:
        assert f'id="{reference_entry(name)}"' in reference, f"{name}: no entry rendered in reference.html"
    for page in site.glob("*.html"):  # nothing the pages load comes from elsewhere
        remote = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(https?://[^"]+)"', page.read_text())
        assert not [url for url in remote if not url.startswith("https://github.com/")], (page.name, remote)
