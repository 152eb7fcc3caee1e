"""A local Apache Kafka cluster from Python, no Docker: what the test fixtures use."""

from pauseable_testing.broker import LocalCluster, create_topic

cluster = LocalCluster.start(brokers=1)  # or LocalCluster.load(root) to find a running one
create_topic(cluster.bootstrap_servers, "orders", partitions=3)
print("PAUSEABLE_BOOTSTRAP_SERVERS=" + cluster.bootstrap_servers)
cluster.stop()
