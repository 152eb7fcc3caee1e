// The franz-go anchor of `pauseable bench`: the same scenario as pauseable/bench/worker.py, in Go
// (and, with -scenario fetching, pauseable/bench/fetching.py's: fetching.go).
//
// One sample, printed as one JSON object: the consumer is caught up on a one-partition topic; it
// pauses (PauseFetchPartitions); the backlog is produced; the clock starts; the strategy runs and
// the partition is resumed; one fresh record is produced; the clock stops at its delivery.
// Strategies: continue, seek-to-end (SetOffsets to the end offset listed at resume),
// discard-until (consume and drop below that end offset).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func cpuSeconds() float64 {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return float64(u.Utime.Sec+u.Stime.Sec) + float64(u.Utime.Usec+u.Stime.Usec)/1e6
}

func maxRSSKB() int64 {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return u.Maxrss
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "franz-bench:", err)
		os.Exit(1)
	}
}

func produce(ctx context.Context, cl *kgo.Client, topic string, n, size int, prefix []byte) {
	value := append(append([]byte{}, prefix...), bytes.Repeat([]byte("x"), max(size-len(prefix), 0))...)
	for i := 0; i < n; i++ {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Partition: 0, Value: value}, func(_ *kgo.Record, err error) { must(err) })
	}
	must(cl.Flush(ctx))
}

func main() {
	bootstrap := flag.String("bootstrap", "127.0.0.1:9092", "bootstrap servers")
	topic := flag.String("topic", "", "a one-partition topic")
	backlog := flag.Int("backlog", 1000, "records produced while paused")
	size := flag.Int("record-size", 100, "value bytes per record")
	strategy := flag.String("strategy", "seek-to-end", "continue, seek-to-end or discard-until")
	scenario := flag.String("scenario", "latency", "latency, or fetching (see fetching.go)")
	repeats := flag.Int("repeats", 5, "fetching: runs per strategy and condition")
	strategies := flag.String("strategies", "seek-to-end,discard-until,skip-pause-window", "fetching: strategies")
	flag.Parse()
	ctx := context.Background()
	if *scenario == "fetching" {
		fetching(ctx, *bootstrap, *topic, *backlog, *repeats, strings.Split(*strategies, ","))
		return
	}

	producer, err := kgo.NewClient(kgo.SeedBrokers(*bootstrap), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(2*time.Millisecond))
	must(err)
	defer producer.Close()
	consumer, err := kgo.NewClient(kgo.SeedBrokers(*bootstrap),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{*topic: {0: kgo.NewOffset().AtStart()}}))
	must(err)
	defer consumer.Close()

	produce(ctx, producer, *topic, 10, *size, []byte("w")) // warm-up
	for seen := 0; seen < 10; {
		seen += consumer.PollFetches(ctx).NumRecords()
	}
	paused := map[string][]int32{*topic: {0}}
	consumer.PauseFetchPartitions(paused)
	produce(ctx, producer, *topic, *backlog, *size, []byte("S"))

	cpu0, t0 := cpuSeconds(), time.Now()
	var end int64 = -1
	if *strategy != "continue" {
		ends, err := kadm.NewClient(consumer).ListEndOffsets(ctx, *topic)
		must(err)
		o, _ := ends.Lookup(*topic, 0)
		end = o.Offset
	}
	if *strategy == "seek-to-end" {
		consumer.SetOffsets(map[string]map[int32]kgo.EpochOffset{*topic: {0: {Epoch: -1, Offset: end}}})
	}
	consumer.ResumeFetchPartitions(paused)
	resume := time.Since(t0).Seconds()
	produce(ctx, producer, *topic, 1, *size, []byte("fresh"))

	stale, fetched, fetchedBytes := 0, 0, 0
	latency := -1.0
	for latency < 0 {
		fetches := consumer.PollFetches(ctx)
		must(fetches.Err())
		for _, r := range fetches.Records() {
			fetched++
			fetchedBytes += len(r.Key) + len(r.Value)
			if bytes.HasPrefix(r.Value, []byte("fresh")) {
				latency = time.Since(t0).Seconds()
				break
			}
			if *strategy == "discard-until" && r.Offset < end {
				continue // dropped, never handed to the application
			}
			stale++
		}
	}
	skipped := 0
	if *strategy != "continue" {
		skipped = *backlog
	}
	out, _ := json.Marshal(map[string]any{
		"backend": "franz-go", "strategy": *strategy, "backlog": *backlog, "record_size": *size,
		"latency_s": latency, "resume_s": resume, "stale_delivered": stale, "skipped": skipped,
		"records_fetched": fetched, "bytes_fetched": fetchedBytes, "cpu_s": cpuSeconds() - cpu0,
		"max_rss_kb": maxRSSKB(),
	})
	fmt.Println(string(out))
}
