"""Apache Kafka's jars: downloaded once from Maven Central, checked against pinned checksums, cached.

The version is pinned here, and the jars a broker of that version needs are pinned beside this module
(``kafka-<version>.jars``: path in a Maven repository, SHA-256, size). Only Java is needed to run the
broker: no Maven. A jar whose SHA-256 differs from its pin is refused (:class:`JarChecksumError`) and
never reaches the cache. A warm cache touches no network.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pauseable_testing.broker.errors import BrokerSetupError, JarChecksumError, JarDownloadError

#: The newest Apache Kafka 4.x release that Maven Central served when this was pinned.
KAFKA_VERSION = "4.4.0"
#: Kafka 4.x brokers need Java 17 or newer.
MIN_JAVA = 17
#: Where the jars come from; ``PAUSEABLE_MAVEN_REPOSITORY`` names a mirror instead.
MAVEN_CENTRAL = "https://repo.maven.apache.org/maven2/"
_MANIFEST = "jars.txt"  # written last into the cache: its presence marks a complete download
_NO_BROKER_HINT = "or set PAUSEABLE_BOOTSTRAP_SERVERS=host:port to use a Kafka cluster you already run"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class PinnedJar:
    """One jar of the broker, as pinned in the package."""

    #: its path in a Maven repository, e.g. ``org/apache/kafka/kafka-clients/4.4.0/kafka-clients-4.4.0.jar``
    path: str
    #: its SHA-256, hex
    sha256: str
    #: its size in bytes
    size: int

    @property
    def name(self) -> str:
        """The file name, as in the cache."""
        return self.path.rsplit("/", 1)[-1]


def pinned_jars(version: str = KAFKA_VERSION) -> list[PinnedJar]:
    """The jars a broker of ``version`` needs, with their pinned checksums."""
    resource = resources.files("pauseable_testing.broker") / f"kafka-{version}.jars"
    if not resource.is_file():
        raise BrokerSetupError(
            f"pauseable-testing pins the jars of Apache Kafka {KAFKA_VERSION} only, not {version}: "
            f"use kafka_version={KAFKA_VERSION!r}, " + _NO_BROKER_HINT
        )
    jars = []
    for line in resource.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            path, sha256, size = line.split()
            jars.append(PinnedJar(path, sha256, int(size)))
    return jars


def repository() -> str:
    """The Maven repository the jars are downloaded from: ``$PAUSEABLE_MAVEN_REPOSITORY``, else Maven Central."""
    url = os.environ.get("PAUSEABLE_MAVEN_REPOSITORY", "").strip() or MAVEN_CENTRAL
    return url if url.endswith("/") else url + "/"


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
    """The directory of the cached jars of ``version``, or None when they are not all there.

    The checksums were checked when the jars were downloaded; here each file's size is compared with
    its pin (cheap), so a truncated cache is downloaded again.
    """
    libs = cache_dir() / f"kafka-{version}" / "libs"
    if not (libs / _MANIFEST).is_file():
        return None
    try:
        jars = pinned_jars(version)
    except BrokerSetupError:
        return None
    for jar in jars:
        try:
            if (libs / jar.name).stat().st_size != jar.size:
                return None
        except OSError:
            return None
    return libs


def kafka_jars(version: str = KAFKA_VERSION) -> Path:
    """The directory holding every jar a Kafka ``version`` broker needs, downloading them if needed.

    The first call downloads them (network; :class:`JarDownloadError` when that fails,
    :class:`JarChecksumError` when a jar is not the one pinned); later calls find the cache.
    """
    if (libs := cached_jars(version)) is not None:
        return libs
    with _lock(cache_dir() / f"kafka-{version}.lock"):
        if (libs := cached_jars(version)) is not None:  # another process downloaded it meanwhile
            return libs
        return _download(version)


def _download(version: str) -> Path:
    jars = pinned_jars(version)
    home = cache_dir() / f"kafka-{version}"
    staging = home / "libs.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    source = repository()
    megabytes = sum(jar.size for jar in jars) / 1e6
    print(
        f"pauseable: downloading the Apache Kafka {version} jars ({len(jars)} files, {megabytes:.0f} MB) "
        f"from {source} into {home} (first run only)",
        file=sys.stderr,
        flush=True,
    )
    try:
        for jar in jars:
            fetch_jar(jar, staging, source)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # nothing unchecked or partial stays behind
        raise
    (staging / _MANIFEST).write_text("\n".join(jar.name for jar in jars) + "\n")
    libs = home / "libs"
    shutil.rmtree(libs, ignore_errors=True)
    staging.rename(libs)
    return libs


def fetch_jar(jar: PinnedJar, into: Path, source: str | None = None) -> Path:
    """Download ``jar`` from ``source`` (default :func:`repository`) into the directory ``into``.

    The file is kept only when its SHA-256 is the pinned one; else :class:`JarChecksumError`.
    """
    source = source or repository()
    url = source + jar.path
    target = into / jar.name
    partial = into / f"{jar.name}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise JarDownloadError(
            f"could not download {url}: {exc}; check that {source} is reachable (or set "
            f"PAUSEABLE_MAVEN_REPOSITORY to a Maven repository mirror), " + _NO_BROKER_HINT
        ) from exc
    if digest.hexdigest() != jar.sha256:
        partial.unlink(missing_ok=True)
        raise JarChecksumError(
            f"{jar.name} from {url} is not the jar pinned in pauseable-testing: its SHA-256 is "
            f"{digest.hexdigest()} ({size} bytes), the pin is {jar.sha256} ({jar.size} bytes); it was not kept. "
            "A proxy or mirror may have altered it: try again, or set PAUSEABLE_MAVEN_REPOSITORY to a "
            "repository you trust"
        )
    partial.rename(target)
    return target


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
