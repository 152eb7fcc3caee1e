// The franz-go anchor of benchmarks/pauseable_bench/fetching.py: resume partition A while partition B of the same
// broker keeps fetching, against the same resume with nothing fetching. One JSON object on stdout.
//
// franz-go sends each broker's fetches on a connection of their own (cxnFetch in pkg/kgo/broker.go), so
// its offset lookups (kadm, on the consumer's client) never queue behind a long-poll Fetch.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// settle is longer than the default fetch wait (500 ms): a Fetch sent before a pause has been answered.
const settle = 600 * time.Millisecond

func pollFor(cl *kgo.Client, d time.Duration) kgo.Fetches {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return cl.PollFetches(ctx)
}

func fetching(ctx context.Context, bootstrap, topic string, backlog, repeats int, strategies []string) {
	producer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(2*time.Millisecond))
	must(err)
	defer producer.Close()
	consumer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart()}}))
	must(err)
	defer consumer.Close()
	admin := kadm.NewClient(consumer)
	produceTo := func(partition int32, n int) {
		for i := 0; i < n; i++ {
			producer.Produce(ctx, &kgo.Record{Topic: topic, Partition: partition, Value: []byte("x")},
				func(_ *kgo.Record, err error) { must(err) })
		}
		must(producer.Flush(ctx))
	}
	produceTo(0, 10)
	produceTo(1, 10)
	for seen := 0; seen < 20; {
		seen += consumer.PollFetches(ctx).NumRecords()
	}

	a := map[string][]int32{topic: {0}}
	both := map[string][]int32{topic: {0, 1}}
	b := map[string][]int32{topic: {1}}
	timings := []map[string]any{}
	for repeat := 0; repeat < repeats; repeat++ {
		for _, strategy := range strategies {
			conditions := []string{"fetching", "idle"}
			if repeat%2 == 1 {
				conditions = []string{"idle", "fetching"}
			}
			for _, condition := range conditions {
				_, err := admin.ListEndOffsets(ctx, topic) // warm, as the Python side
				must(err)
				pausedAt := time.Now().UnixMilli()
				if condition == "idle" {
					consumer.PauseFetchPartitions(both)
				} else {
					consumer.PauseFetchPartitions(a)
				}
				pollFor(consumer, 50*time.Millisecond)
				if condition == "idle" {
					time.Sleep(settle)
				}
				produceTo(0, backlog)
				pollFor(consumer, 50*time.Millisecond)

				t0 := time.Now()
				ends, err := admin.ListEndOffsets(ctx, topic)
				must(err)
				end, _ := ends.Lookup(topic, 0)
				if strategy == "skip-pause-window" { // the first offset at or after the pause instant
					_, err := admin.ListOffsetsAfterMilli(ctx, pausedAt, topic)
					must(err)
				}
				if strategy != "discard-until" {
					consumer.SetOffsets(map[string]map[int32]kgo.EpochOffset{topic: {0: {Epoch: -1, Offset: end.Offset}}})
				}
				consumer.ResumeFetchPartitions(a)
				seconds := time.Since(t0).Seconds()
				if condition == "idle" {
					consumer.ResumeFetchPartitions(b)
				}
				if strategy == "discard-until" { // drop what the strategy skips, up to the end offset
					for reached := false; !reached; {
						consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
							reached = reached || (r.Partition == 0 && r.Offset >= end.Offset-1)
						})
					}
				}
				timings = append(timings, map[string]any{
					"strategy": strategy, "condition": condition, "repeat": repeat, "resume_s": seconds,
				})
			}
		}
	}
	out, _ := json.Marshal(map[string]any{
		"backend": "franz-go", "backlog": backlog, "repeats": repeats, "timings": timings,
	})
	fmt.Println(string(out))
}
