"""The distributions as a user installs them: wheels built from this checkout, into fresh environments.

The runtime alone brings pluggy and nothing else; ``pauseable[confluent-kafka,aiokafka]`` pulls the
adapters through the extras; the README's quick start runs there, outside this checkout; the CLI says
how to get the testing kit's commands. Environments are reused while the wheels' contents are the same
(tests/side_env.py).
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from side_env import ROOT, build_wheels, installed, side_env

from pauseable_testing import KafkaCluster
from pauseable_testing.harness import Producer

#: the clients of the quick start, at the versions `make venv` installs
CLIENTS = [
    line
    for line in (ROOT / "constraints.txt").read_text().split()
    if line.startswith(("confluent-kafka==", "aiokafka=="))
]
PLUGGY = next(line for line in (ROOT / "constraints.txt").read_text().split() if line.startswith("pluggy=="))


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return build_wheels(tmp_path_factory.mktemp("wheels"))


def test_the_runtime_wheel_holds_the_runtime_and_brings_pluggy_only(wheels: list[Path]) -> None:
    runtime = next(w for w in wheels if w.name.startswith("pauseable-0"))
    with zipfile.ZipFile(runtime) as archive:
        packages = {name.split("/")[0] for name in archive.namelist()}
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
        licensed = any(n.endswith(".dist-info/licenses/LICENSE") for n in archive.namelist())
        modules = {n for n in archive.namelist() if n.startswith("pauseable/")}
    assert packages == {"pauseable", "pauseable-0.1.0.dist-info"}
    assert not {m for m in modules if m.startswith(("pauseable/testing", "pauseable/broker", "pauseable/bench"))}
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert requires == ["Requires-Dist: pluggy>=1.5"]
    assert "License-Expression: Apache-2.0" in metadata and licensed
    assert "](benchmarks/" not in metadata, "relative image links do not render on the package index"

    env = side_env("runtime", [PLUGGY], wheels, ["pauseable"])
    assert set(installed(env)) - {"pip", "setuptools"} == {"pauseable", "pluggy"}
    cli = subprocess.run(
        [str(env / "bin" / "pauseable"), "broker", "start"], capture_output=True, text=True, timeout=60, cwd=env
    )
    assert cli.returncode == 1
    assert (
        "`pauseable broker` is not available: its package is not installed; pip install pauseable-testing" in cli.stderr
    )
    listing = subprocess.run([str(env / "bin" / "pauseable"), "backends"], capture_output=True, text=True, cwd=env)
    assert listing.returncode == 1 and "pip install 'pauseable[confluent-kafka]'" in listing.stderr


@pytest.mark.parametrize(
    "example",  # both run in the main environment too (tests/test_examples.py)
    ["quickstart_sync.py", pytest.param("quickstart_async.py", marks=pytest.mark.extra)],
)
def test_the_quick_start_runs_where_the_extras_installed_the_adapters(
    example: str, wheels: list[Path], kafka_cluster: KafkaCluster, new_topic: Callable[..., str], tmp_path: Path
) -> None:
    env = side_env("quickstart", [PLUGGY, *CLIENTS], wheels, ["pauseable[confluent-kafka,aiokafka]"])
    assert {"pauseable-confluent-kafka", "pauseable-aiokafka"} <= set(installed(env))
    assert "pauseable-testing" not in installed(env)
    topic = new_topic(partitions=2)
    producer = Producer(kafka_cluster.bootstrap_servers)
    producer.produce(topic, 5, partition=0)
    producer.produce(topic, 2, partition=1)
    producer.close()
    script = tmp_path / example  # outside the checkout, so only the installed wheels can be imported
    script.write_text((ROOT / "examples" / example).read_text())
    bootstrap = kafka_cluster.bootstrap_servers
    env_vars = {"PATH": os.environ["PATH"], "PAUSEABLE_BOOTSTRAP_SERVERS": bootstrap, "TOPIC": topic}
    result = subprocess.run(
        [str(env / "bin" / "python"), "-I", str(script)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env_vars,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"paused: ['{topic}[0]', '{topic}[1]']",
        "committed before: None",
        f"moved to the end: {{'{topic}[0]': 5, '{topic}[1]': 2}}",
        "committed after: 5",
    ]
