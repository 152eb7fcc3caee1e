"""Pin the jars of a Kafka broker: ``python scripts/pin_kafka_jars.py 4.4.0`` (maintainers only, needs Maven).

Resolves kafka_2.13 and its runtime dependencies with Maven (scripts/kafka-pom.xml), checks each jar
against Maven Central's own SHA-1, and writes testing/pauseable_testing/broker/kafka-<version>.jars
(path in the repository, SHA-256, size), which users' downloads are checked against. Users need no Maven.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CENTRAL = "https://repo.maven.apache.org/maven2/"


def main(version: str) -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["mvn", "-B", "-q", "-f", str(ROOT / "scripts" / "kafka-pom.xml"), f"-Dkafka.version={version}",
             "dependency:copy-dependencies", "-DincludeScope=runtime", "-Dmdep.useRepositoryLayout=true",
             f"-DoutputDirectory={out}"],
            check=True,
        )  # fmt: skip
        lines = []
        for jar in sorted(Path(out).rglob("*.jar")):
            path = jar.relative_to(out).as_posix()
            data = jar.read_bytes()
            central_sha1 = urllib.request.urlopen(CENTRAL + path + ".sha1", timeout=30).read().decode().split()[0]
            if hashlib.sha1(data).hexdigest() != central_sha1:
                sys.exit(f"{path}: Maven's copy differs from Maven Central's SHA-1; not pinned")
            lines.append(f"{path} {hashlib.sha256(data).hexdigest()} {len(data)}")
    header = [
        f"# The jars of an Apache Kafka {version} broker (kafka_2.13 and its runtime dependencies, with Log4j 2 as",
        "# SLF4J's binding), as paths in a Maven repository, SHA-256 and size in bytes. Written by",
        "# scripts/pin_kafka_jars.py, which resolves them with Maven and checks each against Maven Central's own"
        " SHA-1.",
    ]
    target = ROOT / "testing" / "pauseable_testing" / "broker" / f"kafka-{version}.jars"
    target.write_text("\n".join(header + lines) + "\n")
    print(f"pinned {len(lines)} jars in {target.relative_to(ROOT)}; set KAFKA_VERSION in broker/jars.py to match")


if __name__ == "__main__":
    main(sys.argv[1])
