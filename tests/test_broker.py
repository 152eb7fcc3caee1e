"""The broker harness against real Kafka processes: life cycle, cache, stale state, errors."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pauseable_testing import KafkaCluster
from pauseable_testing.broker import LocalCluster, cache_dir, create_topic, kafka_jars, metadata
from pauseable_testing.broker.errors import (
    BrokerError,
    BrokerSetupError,
    BrokerStartError,
    JarChecksumError,
    JarDownloadError,
)
from pauseable_testing.broker.jars import (
    KAFKA_VERSION,
    MAVEN_CENTRAL,
    cached_jars,
    fetch_jar,
    pinned_jars,
    repository,
)
from pauseable_testing.broker.producer import WireProducer, record_batch

needs_local = pytest.mark.skipif(
    bool(os.environ.get("PAUSEABLE_BOOTSTRAP_SERVERS")),
    reason="PAUSEABLE_BOOTSTRAP_SERVERS is set: the local harness is not in use",
)


def _path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH holding only ``tools`` (linked from the real PATH), to hide everything else."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in tools:
        real = subprocess.run(["which", tool], capture_output=True, text=True, check=True).stdout.strip()
        (bin_dir / tool).symlink_to(real)
    return str(bin_dir)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pauseable", *args], capture_output=True, text=True, env=env, timeout=180
    )


def _brokers_under(root: Path) -> set[int]:
    """The pids of the Kafka brokers whose configuration lies under ``root``: the ones a test started there,
    never another run's on the same machine (every broker names its own ``server.properties``)."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    prefix = f"{root}{os.sep}"
    found = set()
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        words = args.split()
        if "kafka.Kafka" in words and any(word.startswith(prefix) for word in words[words.index("kafka.Kafka") :]):
            found.add(int(pid))
    return found


def _stop_clusters_under(run: Path) -> None:
    """Stop every cluster still running under ``run`` (a failed test must not leave its brokers up)."""
    for state in list(run.glob("**/cluster.json")):  # stopping one removes its directory
        cluster = LocalCluster.load(state.parent)
        if cluster is not None and cluster.running_nodes():
            cluster.stop()


@pytest.fixture
def run_dir(tmp_path: Path) -> Iterator[Path]:
    """``PAUSEABLE_RUN_DIR`` of the CLI under test: whatever a test leaves running in it is stopped after."""
    run = tmp_path / "run"
    try:
        yield run
    finally:
        _stop_clusters_under(run)


def _cli_env(run: Path, **more: str) -> dict[str, str]:
    env = {**os.environ, "PAUSEABLE_RUN_DIR": str(run), **more}
    if "PAUSEABLE_BOOTSTRAP_SERVERS" not in more:
        env.pop("PAUSEABLE_BOOTSTRAP_SERVERS", None)
    return env


@needs_local
def test_cli_start_status_stop_round_trip_leaves_nothing_behind(
    kafka_cluster: KafkaCluster, tmp_path: Path, run_dir: Path
) -> None:
    # The session broker already warmed the cache: a start must then work without Maven (no network).
    env = _cli_env(run_dir, PATH=_path_with(tmp_path, "java", "ps"))

    started = _cli("broker", "start", env=env)
    assert started.returncode == 0, started.stderr
    line = started.stdout.strip()
    assert line.startswith("PAUSEABLE_BOOTSTRAP_SERVERS=127.0.0.1:"), started.stdout
    bootstrap = line.split("=", 1)[1]
    assert [b.node_id for b in metadata(bootstrap).brokers] == [1]
    pid = int((run_dir / "default" / "node-1" / "kafka.pid").read_text())
    assert _brokers_under(run_dir) == {pid}  # one broker started, and the pid file names it

    status = _cli("broker", "status", env=env)
    assert status.returncode == 0
    assert f"running (pid {pid})" in status.stdout and line in status.stdout

    again = _cli("broker", "start", env=env)
    assert again.returncode == 0 and again.stdout.strip() == line  # idempotent: same cluster
    assert "already running" in again.stderr
    assert _brokers_under(run_dir) == {pid}

    # The demo, with no backend named, takes an installed one and uses the running cluster.
    demo = _cli("demo", "--records", "2", env=env)
    assert demo.returncode == 0, demo.stderr
    assert f"on the cluster at {bootstrap}" in demo.stderr and "SkipReport" in demo.stdout
    assert _brokers_under(run_dir) == {pid}

    # The user works against another cluster: the local one is not theirs to lose by accident.
    elsewhere = _cli("broker", "stop", env={**env, "PAUSEABLE_BOOTSTRAP_SERVERS": "127.0.0.1:1"})
    assert elsewhere.returncode == 1 and "not stopped" in elsewhere.stderr, elsewhere.stderr
    assert "env -u PAUSEABLE_BOOTSTRAP_SERVERS pauseable broker stop" in elsewhere.stderr
    assert _brokers_under(run_dir) == {pid}

    # `export $(pauseable broker start)` names the local cluster itself: stop stops it.
    stopped = _cli("broker", "stop", env={**env, "PAUSEABLE_BOOTSTRAP_SERVERS": bootstrap})
    assert stopped.returncode == 0, stopped.stderr
    assert not _brokers_under(run_dir)
    assert not run_dir.exists()
    with pytest.raises(BrokerError, match="no Kafka broker answered"):
        metadata(bootstrap)
    assert _cli("broker", "status", env=env).returncode == 3
    # Not running is exit 3 for a cluster pauseable did not start too (the LSB convention `--help` promises).
    unreachable = _cli("broker", "status", env={**env, "PAUSEABLE_BOOTSTRAP_SERVERS": bootstrap})
    assert unreachable.returncode == 3 and "does not answer" in unreachable.stderr


@needs_local
def test_warm_cache_needs_only_java(
    kafka_cluster: KafkaCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cached_jars() is not None
    monkeypatch.setenv("PATH", _path_with(tmp_path, "java"))
    monkeypatch.setenv("PAUSEABLE_MAVEN_REPOSITORY", "http://127.0.0.1:9/nothing-answers-here")
    libs = kafka_jars()
    assert (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file()
    assert libs.is_relative_to(cache_dir())


def _mirror(tmp_path: Path, corrupt: str | None = None) -> Path:
    """A Maven repository on disk holding the pinned jars (from the warm cache); ``corrupt`` names one
    whose bytes are altered."""
    warm = kafka_jars()  # before the test points PAUSEABLE_CACHE elsewhere
    repo = tmp_path / "mirror"
    for jar in pinned_jars():
        target = repo / jar.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if jar.name == corrupt:
            data = bytearray((warm / jar.name).read_bytes())
            data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
            target.write_bytes(bytes(data))
        else:
            target.symlink_to(warm / jar.name)
    return repo


@needs_local
def test_a_cold_cache_is_filled_from_the_repository_with_every_checksum_checked(
    kafka_cluster: KafkaCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mirror = _mirror(tmp_path)
    monkeypatch.setenv("PAUSEABLE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PAUSEABLE_MAVEN_REPOSITORY", mirror.as_uri())
    monkeypatch.setenv("PATH", _path_with(tmp_path, "java"))  # no Maven
    assert cached_jars() is None
    libs = kafka_jars()
    assert libs == tmp_path / "cache" / f"kafka-{KAFKA_VERSION}" / "libs"
    for jar in pinned_jars():
        assert hashlib.sha256((libs / jar.name).read_bytes()).hexdigest() == jar.sha256, jar.name
    assert sorted(p.name for p in libs.glob("*.jar")) == sorted(jar.name for jar in pinned_jars())
    monkeypatch.setenv("PAUSEABLE_MAVEN_REPOSITORY", "http://127.0.0.1:9/nothing-answers-here")
    assert kafka_jars() == libs  # warm: no download


@needs_local
def test_a_corrupted_jar_is_refused_and_nothing_is_cached(
    kafka_cluster: KafkaCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = f"kafka-clients-{KAFKA_VERSION}.jar"
    mirror = _mirror(tmp_path, corrupt=victim)
    monkeypatch.setenv("PAUSEABLE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PAUSEABLE_MAVEN_REPOSITORY", mirror.as_uri())
    with pytest.raises(JarChecksumError, match=rf"{re.escape(victim)} from file:.* is not the jar pinned.*not kept"):
        kafka_jars()
    home = tmp_path / "cache" / f"kafka-{KAFKA_VERSION}"
    assert not (home / "libs").exists() and not (home / "libs.partial").exists()
    assert cached_jars() is None


def test_an_unreachable_repository_names_the_mirror_setting_and_the_alternative(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAUSEABLE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PAUSEABLE_MAVEN_REPOSITORY", "http://127.0.0.1:9/maven2")
    with pytest.raises(
        JarDownloadError, match=r"could not download .*PAUSEABLE_MAVEN_REPOSITORY.*PAUSEABLE_BOOTSTRAP_"
    ):
        kafka_jars()
    assert not (tmp_path / "cache" / f"kafka-{KAFKA_VERSION}" / "libs").exists()


def test_a_pinned_jar_comes_from_maven_central_over_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAUSEABLE_MAVEN_REPOSITORY", raising=False)
    assert repository() == MAVEN_CENTRAL and MAVEN_CENTRAL.startswith("https://")
    smallest = min(pinned_jars(), key=lambda jar: jar.size)
    fetched = fetch_jar(smallest, tmp_path)
    assert hashlib.sha256(fetched.read_bytes()).hexdigest() == smallest.sha256


@pytest.mark.extra
def test_every_pinned_jar_comes_from_maven_central(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAUSEABLE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PAUSEABLE_MAVEN_REPOSITORY", raising=False)
    libs = kafka_jars()
    assert len(list(libs.glob("*.jar"))) == len(pinned_jars())


def test_missing_java_names_java_and_the_alternative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", _path_with(tmp_path))
    with pytest.raises(BrokerSetupError, match=r"Java 17\+.*install a JDK.*PAUSEABLE_BOOTSTRAP_SERVERS"):
        LocalCluster.start(tmp_path / "cluster")
    assert not (tmp_path / "cluster").exists()


def test_missing_java_is_a_clear_cli_error(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": _path_with(tmp_path), "PAUSEABLE_RUN_DIR": str(tmp_path / "run")}
    env.pop("PAUSEABLE_BOOTSTRAP_SERVERS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pauseable", "broker", "start"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 1
    assert result.stderr.startswith("pauseable: error: Java 17+ is needed")
    assert "Traceback" not in result.stderr


@needs_local
def test_stale_pid_files_are_cleaned_and_never_kill_a_stranger(kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    cluster = LocalCluster.start(tmp_path / "stale")
    stranger: subprocess.Popen[bytes] | None = None
    try:
        node = cluster.nodes[0]
        pid = cluster.pid(node)
        assert pid is not None
        cluster.stop_node(node.node_id, kill=True)  # the broker dies (SIGKILL): nothing cleaned up by it
        pid_file = tmp_path / "stale" / "node-1" / "kafka.pid"
        pid_file.write_text(f"{pid}\n")  # as it was before the death: a pid file naming a dead process
        assert cluster.pid(node) is None
        assert not _brokers_under(tmp_path / "stale")
        # Worse: the stale pid file now names an unrelated live process.
        stranger = subprocess.Popen(["sleep", "3600"])  # outlives the test however loaded the machine is
        pid_file.write_text(f"{stranger.pid}\n")
        loaded = LocalCluster.load(tmp_path / "stale")
        assert loaded is not None and loaded.running_nodes() == []
        # Starting again in the same directory replaces the stale cluster.
        fresh = LocalCluster.start(tmp_path / "stale")
        try:
            assert fresh.cluster_id != cluster.cluster_id
            assert metadata(fresh.bootstrap_servers).brokers
        finally:
            fresh.stop()
        assert stranger.poll() is None, "stop must never signal a process it did not start"
    finally:
        if stranger is not None:
            stranger.kill()
            stranger.wait()
        _stop_clusters_under(tmp_path)
    assert not (tmp_path / "stale").exists()


@needs_local
def test_starting_over_a_running_cluster_is_refused(kafka_cluster: KafkaCluster) -> None:
    local = kafka_cluster.local
    assert local is not None
    with pytest.raises(BrokerError, match="already running"):
        LocalCluster.start(local.root)
    assert metadata(kafka_cluster.bootstrap_servers).brokers  # untouched


@needs_local
def test_a_broker_that_cannot_start_reports_its_log(kafka_cluster: KafkaCluster, tmp_path: Path) -> None:
    with pytest.raises(BrokerStartError) as caught:
        LocalCluster.start(tmp_path / "bad", overrides={"log.retention.hours": "not-a-number"}, timeout=60)
    assert "log.retention.hours" in str(caught.value)
    assert not (tmp_path / "bad").exists()


def test_topics_are_created_with_their_partitions_and_names_are_unique(kafka_cluster: KafkaCluster) -> None:
    first = kafka_cluster.create_topic(partitions=3)
    second = kafka_cluster.create_topic(partitions=3)
    assert first != second
    topics = metadata(kafka_cluster.bootstrap_servers).topics
    assert topics[first] == 3 and topics[second] == 3
    kafka_cluster.add_partitions(first, 5)
    assert metadata(kafka_cluster.bootstrap_servers).topics[first] == 5
    with pytest.raises(BrokerError, match="already exists"):
        create_topic(kafka_cluster.bootstrap_servers, first, 1)


def test_external_bootstrap_starts_nothing(kafka_cluster: KafkaCluster, run_dir: Path) -> None:
    env = _cli_env(run_dir, PAUSEABLE_BOOTSTRAP_SERVERS=kafka_cluster.bootstrap_servers)
    result = _cli("broker", "start", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"PAUSEABLE_BOOTSTRAP_SERVERS={kafka_cluster.bootstrap_servers}"
    assert "nothing started" in result.stderr
    assert not _brokers_under(run_dir)  # a broker it started would name its configuration in there
    assert not run_dir.exists()
    status = _cli("broker", "status", env=env)
    assert status.returncode == 0 and "answering, 1 broker(s)" in status.stdout


@pytest.mark.extra  # 60-130 s: three nodes started and one restarted; the fault tests start the same cluster
@needs_local
def test_three_node_cluster_stops_and_restarts_one_node_from_the_cli(run_dir: Path) -> None:
    env = _cli_env(run_dir)
    started = _cli("broker", "start", "--brokers", "3", "--name", "three", env=env)
    assert started.returncode == 0, started.stderr
    bootstrap = started.stdout.strip().split("=", 1)[1]
    try:
        first = bootstrap.split(",")[0]
        assert [b.node_id for b in metadata(first).brokers] == [1, 2, 3]
        create_topic(first, "replicated", partitions=3)  # replication factor 3: the cluster's default
        killed = _cli("broker", "stop", "--name", "three", "--node", "2", "--kill", env=env)
        assert killed.returncode == 0 and "killed node 2" in killed.stderr, killed.stderr
        status = _cli("broker", "status", "--name", "three", env=env)
        assert [line.split()[-1] for line in status.stdout.splitlines() if line.startswith("node 2")] == ["stopped"]
        deadline = time.monotonic() + 30  # a killed node is fenced after broker.session.timeout.ms (3 s)
        while [b.node_id for b in metadata(first).brokers] != [1, 3]:
            assert time.monotonic() < deadline, metadata(first).brokers
            time.sleep(0.2)
        assert _cli("broker", "stop", "--name", "three", "--kill", env=env).returncode == 2  # --kill needs --node
        again = _cli("broker", "start", "--name", "three", "--node", "2", env=env)
        assert again.returncode == 0, again.stderr
        assert [b.node_id for b in metadata(first).brokers] == [1, 2, 3]
        assert metadata(first).topics["replicated"] == 3
        status = _cli("broker", "status", "--name", "three", env=env).stdout
        pids = {int(pid) for pid in re.findall(r"running \(pid (\d+)\)", status)}
        assert len(pids) == 3, status
        assert _brokers_under(run_dir) == pids
    finally:
        stopped = _cli("broker", "stop", "--name", "three", env=env)
    assert stopped.returncode == 0 and "stopped 3 node(s)" in stopped.stderr, stopped.stderr
    assert not _brokers_under(run_dir)  # only this cluster's: other runs may share the machine
    assert not (run_dir / "three").exists()


_STARTS_AND_HANGS = """
import sys, time
from pathlib import Path
from pauseable_testing.broker import LocalCluster
cluster = LocalCluster.start(Path(sys.argv[1]), die_with_parent=True)
print(cluster.pid(cluster.nodes[0]), flush=True)
time.sleep(600)
"""


@needs_local
def test_a_test_run_killed_outright_takes_its_broker_with_it(tmp_path: Path) -> None:
    root = tmp_path / "cluster"
    run = subprocess.Popen([sys.executable, "-c", _STARTS_AND_HANGS, str(root)], stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None
        broker = int(run.stdout.readline())
        assert _brokers_under(root) == {broker}
        run.kill()  # SIGKILL: no finally, no atexit
        run.wait()
        deadline = time.monotonic() + 15
        while _brokers_under(root):
            assert time.monotonic() < deadline, "the broker outlived the killed run"
            time.sleep(0.1)
    finally:
        run.kill()
        run.wait()
        if run.stdout is not None:
            run.stdout.close()
        _stop_clusters_under(root)


_NO_CLIENT_PRODUCES = """
import sys
for name in ("confluent_kafka", "kafka", "aiokafka"):
    sys.modules[name] = None  # importing any Kafka client fails
from pauseable_testing.harness import Producer

producer = Producer(sys.argv[1])
print(producer.produce(sys.argv[2], 3, 0), producer.produce(sys.argv[2], 2, 0, timestamp_ms=1000, value=b"old"))
producer.produce_bulk(sys.argv[2], 40_000, 10, b"bulk", 1)
"""


def test_the_kit_produces_through_its_own_wire_client_with_no_kafka_client(kafka_cluster: KafkaCluster) -> None:
    from kafka import KafkaConsumer, TopicPartition

    topic = kafka_cluster.create_topic(partitions=2)
    result = subprocess.run(
        [sys.executable, "-c", _NO_CLIENT_PRODUCES, kafka_cluster.bootstrap_servers, topic],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert result.stdout.split("\n")[0] == "[0, 1, 2] [3, 4]"
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_cluster.bootstrap_servers, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    consumer.assign([p0, p1])
    assert consumer.end_offsets([p0, p1]) == {p0: 5, p1: 40_000}
    consumer.seek(p1, 39_999)
    records: list = []
    for _ in range(30):
        records += [r for batch in consumer.poll(1000).values() for r in batch]
        if len(records) >= 6:
            break
    consumer.close()
    p0_records = sorted((r for r in records if r.partition == 0), key=lambda r: r.offset)
    assert [r.timestamp for r in p0_records][3:] == [1000, 1000] and p0_records[4].value == b"old"
    assert len({r.value for r in p0_records[:3]}) == 3  # each test record a unique value
    assert [(r.offset, r.value) for r in records if r.partition == 1] == [(39_999, b"bulkxxxxxx")]


def test_a_test_batch_sent_again_is_written_once(kafka_cluster: KafkaCluster) -> None:
    """An idempotent batch whose answer was lost (a broker fault) and is sent again: the broker keeps one copy."""
    topic = kafka_cluster.create_topic()
    producer = WireProducer(kafka_cluster.bootstrap_servers)
    assert producer.produce(topic, [b"a", b"b"]) == 0
    identity = producer._identity
    assert identity is not None
    again = record_batch([b"c"], 0, identity, sequence=2)
    assert producer._send(topic, 0, again) == 2
    assert producer._send(topic, 0, again) == 2  # the same batch: acknowledged with its first offset, not written
    producer._sequences[(topic, 0)] = 3  # as produce() would have counted it
    assert producer.produce(topic, [b"d"]) == 3
