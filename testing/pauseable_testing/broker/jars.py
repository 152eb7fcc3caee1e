"""Apache Kafka's jars: resolved once with Maven into a cache, then used offline.

The version is pinned here; the POM shipped beside this module lists what a broker needs.
A warm cache never runs Maven, so a second start touches no network.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from pauseable_testing.broker.errors import BrokerSetupError

#: The newest Apache Kafka 4.x release that Maven Central served when this was pinned.
KAFKA_VERSION = "4.4.0"
#: Kafka 4.x brokers need Java 17 or newer.
MIN_JAVA = 17
_MANIFEST = "jars.txt"
_NO_BROKER_HINT = "or set PAUSEABLE_BOOTSTRAP_SERVERS=host:port to use a Kafka cluster you already run"


def cache_dir() -> Path:
    """Where pauseable caches downloads: ``$PAUSEABLE_CACHE``, else ``~/.cache/pauseable``."""
    if env := os.environ.get("PAUSEABLE_CACHE"):
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pauseable"


def java_executable() -> str:
    """The ``java`` to run the broker with, checked to be Java 17 or newer."""
    java = shutil.which("java")
    if java is None:
        raise BrokerSetupError(
            f"Java {MIN_JAVA}+ is needed to run the local Kafka broker and `java` is not on PATH: "
            f"install a JDK or JRE {MIN_JAVA}+ (e.g. `apt-get install openjdk-17-jre-headless`), " + _NO_BROKER_HINT
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match:
        major = int(match.group(1))
        major = int(match.group(2) or 0) if major == 1 else major  # "1.8" means Java 8
        if major < MIN_JAVA:
            raise BrokerSetupError(
                f"{java} is Java {major}; Kafka {KAFKA_VERSION} needs Java {MIN_JAVA}+: "
                f"install a newer JDK and put it first on PATH, " + _NO_BROKER_HINT
            )
    return java


def cached_jars(version: str = KAFKA_VERSION) -> Path | None:
    """The directory of the cached jars of ``version``, or None when they are not all there."""
    libs = cache_dir() / f"kafka-{version}" / "libs"
    manifest = libs / _MANIFEST
    if not manifest.is_file():
        return None
    names = manifest.read_text().split()
    if not names or not all((libs / name).is_file() for name in names):
        return None
    return libs


def kafka_jars(version: str = KAFKA_VERSION) -> Path:
    """The directory holding every jar a Kafka ``version`` broker needs, resolving it if needed.

    The first call runs Maven (network); later calls find the cache and run nothing.
    """
    if (libs := cached_jars(version)) is not None:
        return libs
    with _lock(cache_dir() / f"kafka-{version}.lock"):
        if (libs := cached_jars(version)) is not None:  # another process resolved it meanwhile
            return libs
        return _resolve_with_maven(version)


def _resolve_with_maven(version: str) -> Path:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerSetupError(
            f"Maven is needed once, to fetch the Apache Kafka {version} jars into {cache_dir()}, "
            "and `mvn` is not on PATH: install Maven (e.g. `apt-get install maven`), " + _NO_BROKER_HINT
        )
    home = cache_dir() / f"kafka-{version}"
    staging = home / "libs.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    print(
        f"pauseable: fetching the Apache Kafka {version} jars with Maven into {home} (first run only)",
        file=sys.stderr,
        flush=True,
    )
    with resources.as_file(resources.files("pauseable_testing.broker") / "kafka-pom.xml") as pom:
        cmd = [
            mvn, "-B", "-q", "-f", str(pom), f"-Dkafka.version={version}",
            "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={staging}",
        ]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    names = sorted(p.name for p in staging.glob("*.jar"))
    if proc.returncode != 0 or not any(n.startswith(f"kafka_2.13-{version}") for n in names):
        shutil.rmtree(staging, ignore_errors=True)
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise BrokerSetupError(
            f"Maven could not resolve Apache Kafka {version} (exit {proc.returncode}); check that Maven "
            f"Central is reachable, {_NO_BROKER_HINT}.\n{tail}"
        )
    (staging / _MANIFEST).write_text("\n".join(names) + "\n")
    libs = home / "libs"
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    return libs


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
