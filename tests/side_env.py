"""Side virtual environments: the distributions installed from wheels, as a user gets them.

Wheels are built from this checkout (``pip wheel --no-deps --no-build-isolation``: offline, with the
project's pinned setuptools). An environment is kept under ``build/side-envs/`` and reused while the
wheels' contents and the requirements are the same, so a repeat costs the wheel build (~3 s) only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVS = ROOT / "build" / "side-envs"

#: distribution -> its folder in this repository
DISTRIBUTIONS = {
    "pauseable": ".",
    "pauseable-testing": "testing",
    "pauseable-confluent-kafka": "adapters/confluent-kafka",
    "pauseable-aiokafka": "adapters/aiokafka",
    "pauseable-kafka-python": "adapters/kafka-python",
}
#: the plugin distributions -> their folders
PLUGINS = {
    "pauseable-prometheus": "plugins/prometheus",
    "pauseable-opentelemetry": "plugins/opentelemetry",
    "pauseable-faststream": "plugins/faststream",
}


def build_wheels(out: Path, names: Iterable[str] = DISTRIBUTIONS) -> list[Path]:
    """Build the wheels of ``names`` into ``out`` and return them."""
    out.mkdir(parents=True, exist_ok=True)
    folders = [str(ROOT / {**DISTRIBUTIONS, **PLUGINS}[name]) for name in names]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--wheel-dir", str(out),
         *folders],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return sorted(out.glob("*.whl"))


def content_hash(wheels: Iterable[Path]) -> str:
    """A hash of what the wheels hold (member names and bytes), not of the zip files, whose timestamps vary."""
    digest = hashlib.sha256()
    for wheel in sorted(wheels, key=lambda p: p.name):
        digest.update(wheel.name.encode())
        with zipfile.ZipFile(wheel) as archive:
            for member in sorted(archive.namelist()):
                digest.update(member.encode())
                digest.update(archive.read(member))
    return digest.hexdigest()


def side_env(name: str, requirements: Sequence[str], wheels: Sequence[Path], install: Sequence[str]) -> Path:
    """A virtual environment with ``requirements`` (from the package index or pip's cache), then
    ``install`` (requirement strings) resolved from ``wheels`` alone (``--no-index``); reused while the same."""
    key = hashlib.sha256(
        "\n".join([sys.version, *requirements, "--", *install, content_hash(wheels)]).encode()
    ).hexdigest()[:16]
    env = ENVS / f"{name}-{key}"
    if (env / ".ready").is_file():
        return env
    for old in ENVS.glob(f"{name}-*"):  # an environment of older wheels is never used again
        shutil.rmtree(old, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True, timeout=120)
    pip = [str(env / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    # the side environment sees only what it installed: no PYTHONPATH into a checkout
    quiet = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PIP_NO_WARN_SCRIPT_LOCATION": "1"}
    if requirements:
        _run([*pip, *requirements], quiet)
    links = sorted({str(wheel.parent) for wheel in wheels})
    _run([*pip, "--no-index", *[f"--find-links={link}" for link in links], *install], quiet)
    (env / ".ready").touch()
    return env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    # Not from the checkout: `python -m pip` puts the working directory on sys.path, where the editable install's
    # pauseable.egg-info would read as "pauseable already installed" and the wheel would be left out.
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ENVS)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-3000:]}"
        )


def installed(env: Path) -> dict[str, str]:
    """Distribution name -> version, as ``pip list`` shows them in ``env``."""
    out = subprocess.run(
        [str(env / "bin" / "python"), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    return dict(line.split("==", 1) for line in out.split())
