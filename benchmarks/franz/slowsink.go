// The franz-go anchor of benchmarks/pauseable_bench/slow_sink.py: a group member sinks a one-partition topic
// through a sink sleeping 2 ms per record. One JSON object on stdout, the fields of slow_sink.sample.
//
//   - naive: each polled batch sunk inside the poll loop. franz-go heartbeats on a goroutine of its own and has
//     no max.poll.interval.ms, so a long batch does not cost the member its place in the group;
//   - hand-written: PauseFetchPartitions of the batch's partitions, the batch handed to a worker goroutine, the
//     loop keeps polling (nothing comes) until it is done, ResumeFetchPartitions.
//
// Bytes fetched per byte delivered: the record batches' bytes read for the partition (HookFetchBatchRead).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

const sinkPerRecord = 2 * time.Millisecond

// fetchedBytes counts the record-batch bytes the client read from fetch responses.
type fetchedBytes struct{ n atomic.Int64 }

func (f *fetchedBytes) OnFetchBatchRead(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.FetchBatchMetrics) {
	f.n.Add(int64(m.CompressedBytes))
}

type sunk struct{ handed, began, ended time.Time }

func slowSink(ctx context.Context, bootstrap, topic, group, loop string, total, batch, size int, timeout time.Duration) {
	fetched := &fetchedBytes{}
	var revocations atomic.Int64
	consumer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.WithHooks(fetched),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
			if len(lost) > 0 {
				revocations.Add(1)
			}
		}))
	must(err)
	defer consumer.Close()

	var mu sync.Mutex
	done := []sunk{}
	sink := func(n int, handed time.Time) {
		for i := 0; i < n; i++ {
			began := time.Now()
			time.Sleep(sinkPerRecord)
			mu.Lock()
			done = append(done, sunk{handed, began, time.Now()})
			mu.Unlock()
		}
	}
	var first time.Time
	delivered := 0
	deadline := time.Now().Add(timeout)
	poll := func(d time.Duration) kgo.Fetches {
		pctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return consumer.PollRecords(pctx, batch)
	}
	for delivered < total && time.Now().Before(deadline) {
		fetches := poll(500 * time.Millisecond)
		n := fetches.NumRecords()
		if n == 0 {
			continue
		}
		handed := time.Now()
		if first.IsZero() {
			first = handed
		}
		if loop == "naive" {
			sink(n, handed)
		} else {
			parts := map[string][]int32{}
			fetches.EachPartition(func(p kgo.FetchTopicPartition) {
				parts[p.Topic] = append(parts[p.Topic], p.Partition)
			})
			consumer.PauseFetchPartitions(parts)
			finished := make(chan struct{})
			go func() { sink(n, handed); close(finished) }()
			for waiting := true; waiting; {
				select {
				case <-finished:
					waiting = false
				default:
					poll(100 * time.Millisecond) // nothing of the paused partition comes
				}
			}
			consumer.ResumeFetchPartitions(parts)
		}
		delivered += n
	}
	mu.Lock()
	defer mu.Unlock()
	elapsed, sinking := math.Inf(1), 0.0
	latencies := make([]float64, 0, len(done))
	for _, s := range done {
		sinking += s.ended.Sub(s.began).Seconds()
		latencies = append(latencies, s.ended.Sub(s.handed).Seconds())
	}
	if len(done) > 0 {
		last := done[0].ended
		for _, s := range done {
			if s.ended.After(last) {
				last = s.ended
			}
		}
		elapsed = last.Sub(first).Seconds()
	}
	sort.Float64s(latencies)
	var p99 any
	if len(latencies) > 0 {
		p99 = latencies[min(len(latencies)-1, int(math.Round(0.99*float64(len(latencies)-1))))]
	}
	sinkRate := 1 / sinkPerRecord.Seconds()
	if sinking > 0 {
		sinkRate = float64(len(done)) / sinking
	}
	var perDelivered any
	if delivered > 0 {
		perDelivered = float64(fetched.n.Load()) / float64(delivered*size)
	}
	out, err := json.Marshal(map[string]any{
		"backend": "franz-go", "loop": loop, "records": total, "delivered": delivered,
		"records_per_s": float64(delivered) / elapsed, "sink_per_s": sinkRate, "latency_p99_s": p99,
		"rebalances": revocations.Load(), "fetched_per_delivered": perDelivered,
	})
	must(err)
	fmt.Println(string(out))
}
