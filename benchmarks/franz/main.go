// The franz-go anchor of `pauseable bench`: the same scenario as benchmarks/pauseable_bench/worker.py, in Go
// (and, with -scenario fetching, benchmarks/pauseable_bench/fetching.py's: fetching.go).
//
// One sample, printed as one JSON object: the consumer is caught up on a one-partition topic; it
// pauses (PauseFetchPartitions); the backlog is produced; the clock starts; the strategy runs and
// the partition is resumed; one fresh record is produced; the clock stops at its delivery.
// Strategies: continue, seek-to-end (SetOffsets to the end offset listed at resume),
// discard-until (consume and drop below that end offset).
//
// With -scenario poll-latency, the same as benchmarks/pauseable_bench/poll_latency.py instead: the caught-up
// consumer gets one record produced, waits -settle so it is fetched, and times one
// PollRecords(ctx, 500) whose ctx times out after -timeout; -tries times.
//
// With -scenario slow-sink, benchmarks/pauseable_bench/slow_sink.py's loops: slowsink.go.
//
// With -scenario scale, the same as benchmarks/pauseable_bench/scale.py: a consumer of every one of -partitions
// partitions of the topic (filled beforehand), caught up, its offsets committed for a group; then,
// -repeats times after one untimed cycle, each call of all the partitions at once: pause
// (PauseFetchPartitions), committed (FetchOffsets), seek-to-end (one ListOffsets request, which the
// client splits by leader, then SetOffsets) and resume-seek-to-end (the same, then
// ResumeFetchPartitions), resting -settle after each pause and resume; then -windows more cycles
// count the requests each call writes (Fetch left out).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
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
	scenario := flag.String("scenario", "resume", "resume (the strategy's resume), poll-latency, scale, fetching or slow-sink")
	tries := flag.Int("tries", 10, "poll-latency: polls timed")
	timeout := flag.Duration("timeout", time.Second, "poll-latency: each poll's timeout")
	settle := flag.Duration("settle", 300*time.Millisecond, "poll-latency: wait after producing, before polling")
	partitions := flag.Int("partitions", 10, "scale: partitions of the topic, all consumed")
	repeats := flag.Int("repeats", 5, "scale: timed cycles; fetching: runs per strategy and condition")
	windows := flag.Int("windows", 3, "scale: cycles counting requests")
	strategies := flag.String("strategies", "seek-to-end,discard-until,skip-pause-window", "fetching: strategies")
	group := flag.String("group", "", "slow-sink: the consumer group")
	loop := flag.String("loop", "hand-written", "slow-sink: naive or hand-written")
	records := flag.Int("records", 4500, "slow-sink: records on the topic, all sunk")
	batch := flag.Int("batch", 1500, "slow-sink: records a poll takes at most")
	flag.Parse()
	ctx := context.Background()
	if *scenario == "slow-sink" {
		slowSink(ctx, *bootstrap, *topic, *group, *loop, *records, *batch, *size, 120*time.Second)
		return
	}
	if *scenario == "fetching" {
		fetching(ctx, *bootstrap, *topic, *backlog, *repeats, strings.Split(*strategies, ","))
		return
	}
	if *scenario == "scale" {
		scale(ctx, *bootstrap, *topic, *partitions, *repeats, *windows, *settle)
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
	if *scenario == "poll-latency" {
		pollLatency(ctx, producer, consumer, *topic, *size, *tries, *timeout, *settle)
		return
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

// pollLatency prints the poll-latency sample: ms from each PollRecords call to its return.
func pollLatency(ctx context.Context, producer, consumer *kgo.Client, topic string, size, tries int,
	timeout, settle time.Duration) {
	timings := make([]map[string]any, 0, tries)
	for i := 0; i < tries; i++ {
		produce(ctx, producer, topic, 1, size, []byte("p"))
		time.Sleep(settle)
		pollCtx, cancel := context.WithTimeout(ctx, timeout)
		t0 := time.Now()
		records := consumer.PollRecords(pollCtx, 500).NumRecords()
		ms := float64(time.Since(t0).Microseconds()) / 1000
		cancel()
		timings = append(timings, map[string]any{"side": "native", "try": i, "ms": ms, "records": records})
	}
	out, _ := json.Marshal(map[string]any{
		"backend": "franz-go", "timeout_s": timeout.Seconds(), "tries": tries, "timings": timings,
	})
	fmt.Println(string(out))
}

// requestCounter counts the requests the client writes, by API name (kgo.HookBrokerWrite).
type requestCounter struct {
	mu   sync.Mutex
	sent map[string]int
}

func (c *requestCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if err != nil {
		return
	}
	c.mu.Lock()
	c.sent[kmsg.NameForKey(key)]++
	c.mu.Unlock()
}

func (c *requestCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.sent))
	for name, n := range c.sent {
		out[name] = n
	}
	return out
}

// scale prints the scale sample: ms per call of each operation, and the requests each call wrote.
func scale(ctx context.Context, bootstrap, topic string, n, repeats, windows int, settle time.Duration) {
	counter := &requestCounter{sent: map[string]int{}}
	offsets := map[int32]kgo.Offset{}
	all := make([]int32, n)
	for p := range n {
		all[p] = int32(p)
		offsets[int32(p)] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.WithHooks(counter),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))
	must(err)
	defer cl.Close()
	adm := kadm.NewClient(cl)
	group := fmt.Sprintf("franz-scale-%d", time.Now().UnixNano())
	positions := kadm.Offsets{}
	for seen := map[int32]bool{}; len(seen) < n; {
		fetches := cl.PollFetches(ctx)
		must(fetches.Err())
		fetches.EachRecord(func(r *kgo.Record) {
			seen[r.Partition] = true
			positions.AddOffset(r.Topic, r.Partition, r.Offset+1, r.LeaderEpoch)
		})
	}
	must(adm.CommitAllOffsets(ctx, group, positions))

	parts := map[string][]int32{topic: all}
	toEnd := func() {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		t := kmsg.NewListOffsetsRequestTopic()
		t.Topic = topic
		for _, p := range all {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p
			rp.Timestamp = -1 // the end
			t.Partitions = append(t.Partitions, rp)
		}
		req.Topics = append(req.Topics, t)
		set := map[int32]kgo.EpochOffset{}
		for _, shard := range cl.RequestSharded(ctx, req) {
			must(shard.Err)
			for _, rt := range shard.Resp.(*kmsg.ListOffsetsResponse).Topics {
				for _, rp := range rt.Partitions {
					set[rp.Partition] = kgo.EpochOffset{Epoch: rp.LeaderEpoch, Offset: rp.Offset}
				}
			}
		}
		if len(set) != n {
			must(fmt.Errorf("end offsets of %d partitions, wanted %d", len(set), n))
		}
		cl.SetOffsets(map[string]map[int32]kgo.EpochOffset{topic: set})
	}
	ops := []struct {
		name string
		call func()
		rest bool // after the call: the consumer settles (the Fetch in flight returns, or fetching resumes)
	}{
		{"pause", func() { cl.PauseFetchPartitions(parts) }, true},
		{"committed", func() {
			committed, err := adm.FetchOffsets(ctx, group)
			must(err)
			must(committed.Error())
		}, false},
		{"seek-to-end", toEnd, false},
		{"resume-seek-to-end", func() { toEnd(); cl.ResumeFetchPartitions(parts) }, true},
	}
	timings := []map[string]any{}
	for repeat := -1; repeat < repeats; repeat++ { // -1: untimed
		for _, op := range ops {
			t0 := time.Now()
			op.call()
			ms := float64(time.Since(t0).Nanoseconds()) / 1e6
			if repeat >= 0 {
				timings = append(timings, map[string]any{"operation": op.name, "side": "native", "repeat": repeat, "ms": ms})
			}
			if op.rest {
				time.Sleep(settle)
			}
		}
	}
	sent := map[string][]map[string]int{}
	for range windows {
		for _, op := range ops {
			before := counter.snapshot()
			op.call()
			after := counter.snapshot()
			window := map[string]int{}
			for name, count := range after {
				if d := count - before[name]; d > 0 && name != "Fetch" {
					window[name] = d
				}
			}
			sent[op.name] = append(sent[op.name], window)
			if op.rest {
				time.Sleep(settle)
			}
		}
	}
	roundTrips := []map[string]any{}
	for _, op := range ops {
		found := sent[op.name]
		totals, names := []int{}, map[string]bool{}
		requests := map[string]int{}
		for _, w := range found {
			total := 0
			for name, count := range w {
				total += count
				names[name] = true
				requests[name] += count
			}
			totals = append(totals, total)
		}
		byKind := map[string]int{}
		for name := range names {
			counts := []int{}
			for _, w := range found {
				counts = append(counts, w[name])
			}
			byKind[name] = medianLow(counts)
		}
		roundTrips = append(roundTrips, map[string]any{
			"operation": op.name, "side": "native", "windows": len(found), "per_call": medianLow(totals),
			"max_per_call": maxOf(totals), "by_kind": byKind, "requests": requests,
		})
	}
	out, _ := json.Marshal(map[string]any{
		"backend": "franz-go", "partitions": n, "repeats": repeats, "timings": timings, "round_trips": roundTrips,
	})
	fmt.Println(string(out))
}

func medianLow(values []int) int {
	if len(values) == 0 {
		return 0
	}
	sorted := append([]int{}, values...)
	sort.Ints(sorted)
	return sorted[(len(sorted)-1)/2]
}

func maxOf(values []int) int {
	m := 0
	for _, v := range values {
		m = max(m, v)
	}
	return m
}
