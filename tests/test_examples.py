"""The README's quick start runs, against the real broker, exactly as printed there."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pauseable_testing import KafkaCluster
from pauseable_testing.harness import Producer

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("example", ["quickstart_sync.py", "quickstart_async.py"])
def test_quick_start_runs_and_is_in_the_readme(
    example: str, kafka_cluster: KafkaCluster, new_topic: Callable[..., str]
) -> None:
    source = (ROOT / "examples" / example).read_text()
    assert source.strip() in (ROOT / "README.md").read_text(), f"README.md must show examples/{example} verbatim"
    topic = new_topic(partitions=2)
    producer = Producer(kafka_cluster.bootstrap_servers)
    producer.produce(topic, 5, partition=0)
    producer.produce(topic, 2, partition=1)
    producer.close()
    env = {**os.environ, "PAUSEABLE_BOOTSTRAP_SERVERS": kafka_cluster.bootstrap_servers, "TOPIC": topic}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / example)], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"paused: ['{topic}[0]', '{topic}[1]']",
        "committed before: None",
        f"moved to the end: {{'{topic}[0]': 5, '{topic}[1]': 2}}",
        "committed after: 5",
    ]
