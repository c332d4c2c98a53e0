package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/recap-dev/recap/config"
)

// Test components, registered under names no real connector uses.
func init() {
	RegisterSource("test_counter", func(env *Env) (Source, error) {
		var o struct {
			Count int `yaml:"count"`
		}
		if err := env.Options.Decode(&o); err != nil {
			return nil, err
		}
		return counterSource{env.Name, o.Count}, nil
	})
	RegisterStage("test_upper", func(*Env) (Stage, error) { return upperStage{}, nil })
	RegisterSink("test_memory", func(env *Env) (Sink, error) {
		s := &memorySink{}
		memorySinks.Store(env.Name, s)
		return s, nil
	})
}

type counterSource struct {
	name  string
	count int
}

func (s counterSource) Run(ctx context.Context, emit Emitter) error {
	for i := range s.count {
		e := &Entry{ID: StableID(s.name, fmt.Sprint(i)), Kind: KindLog, Text: fmt.Sprintf("line %d", i)}
		if err := emit.Emit(ctx, e, nil); err != nil {
			return err
		}
	}
	return nil
}

type upperStage struct{}

func (upperStage) Process(_ context.Context, c *Chunk) error {
	for i := range c.Entries {
		c.Entries[i].AddTag("seen")
	}
	return nil
}

var memorySinks sync.Map // sink name → *memorySink

type memorySink struct {
	mu  sync.Mutex
	ids map[string]int
}

func (s *memorySink) Write(_ context.Context, c *Chunk, done func(error)) error {
	s.mu.Lock()
	if s.ids == nil {
		s.ids = map[string]int{}
	}
	for _, e := range c.Entries {
		if e.HasTag("seen") {
			s.ids[e.ID]++
		}
	}
	s.mu.Unlock()
	done(nil)
	return nil
}

func (s *memorySink) Flush(context.Context) error { return nil }
func (s *memorySink) Close(context.Context) error { return nil }

func TestRunOnceThroughEmbeddedNATS(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse(filepath.Join(dir, "recap.yaml"), []byte(`
data_dir: data
http: {listen: ""}
buffer: {chunk_bytes: 4KiB, flush_interval: 50ms}
sources:
  - {name: counter, type: test_counter, count: 5000, tags: [demo]}
stages:
  - {type: test_upper}
sinks:
  - {name: mem, type: test_memory}
`))
	if err != nil {
		t.Fatal(err)
	}
	summary, err := Run(t.Context(), cfg, Options{Once: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if len(summary.Errors) != 0 {
		t.Errorf("errors: %v", summary.Errors)
	}
	v, _ := memorySinks.Load("mem")
	sink := v.(*memorySink)
	if len(sink.ids) != 5000 {
		t.Fatalf("sink got %d distinct entries, want 5000", len(sink.ids))
	}
	for id, n := range sink.ids {
		if n != 1 {
			t.Fatalf("entry %s delivered %d times", id, n)
		}
	}
	// The store survives: a second run starts on the same streams and consumers.
	if _, err := Run(t.Context(), cfg, Options{Once: true, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
}

// A sink removed from the configuration leaves its durable consumer behind,
// which holds chunks forever; the next run names it and says how to delete it.
func TestOrphanSinkConsumersAreNamed(t *testing.T) {
	dir := t.TempDir()
	conf := func(sink string) *config.Config {
		cfg, err := config.Parse(filepath.Join(dir, "recap.yaml"), []byte(`
data_dir: data
http: {listen: ""}
sources: [{name: counter, type: test_counter, count: 10}]
sinks: [{name: `+sink+`, type: test_memory}]
`))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	if _, err := Run(t.Context(), conf("old"), Options{Once: true, Log: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	if _, err := Run(t.Context(), conf("new"), Options{Once: true, Log: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "nats consumer rm RECAP_ENTRIES recap-sink-old") {
		t.Errorf("no warning naming the orphan consumer in:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "recap-sink-new\"") {
		t.Errorf("the configured sink's consumer was named as an orphan:\n%s", logs.String())
	}
}

type failingStage struct{}

func (failingStage) Process(context.Context, *Chunk) error { return errors.New("boom") }

// A chunk that cannot be decoded, or keeps failing a stage, is parked on disk
// and reported, and never blocks the chunks behind it.
func TestPoisonChunksAreParked(t *testing.T) {
	dir, n := startStreams(t)
	log := slog.New(slog.DiscardHandler)
	rep := NewReporter(log)
	dead := filepath.Join(dir, "dead")
	r := &stageRunner{js: n.JS, stages: []Stage{failingStage{}}, report: rep, deadDir: dead, workers: 1, attempts: 2}
	if err := r.consumer(t.Context()); err != nil {
		t.Fatal(err)
	}
	good := CompressChunk(nil, EncodeChunk(&Chunk{Kind: KindLog, Source: "app", Entries: []Entry{{ID: "x", Text: "fine"}}}, nil))
	for i, data := range [][]byte{[]byte("not a chunk at all"), good} {
		msg := &nats.Msg{Subject: SubjectRaw + ".log.app", Data: data, Header: nats.Header{"Nats-Msg-Id": []string{fmt.Sprint("m", i)}}}
		if _, err := n.JS.PublishMsg(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go r.run(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dead, "*.chunk"))
		if len(files) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("parked %d of 2 chunks; reported: %+v", len(files), rep.Recent())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ok, err := waitDrained(r); !ok {
		t.Fatalf("parked chunks still pending in RECAP_RAW: %v", err)
	}
	reasons := map[string]int{}
	for _, e := range rep.Recent() {
		reasons[e.Reason]++
	}
	if reasons["poison_chunk"] != 2 || reasons["stage"] < 1 {
		t.Errorf("reported: %v", reasons)
	}
	if data, _ := os.ReadFile(filepath.Join(dead, "raw-1.chunk")); string(data) != "not a chunk at all" {
		t.Errorf("parked bytes differ: %q", data)
	}
}

// slowStage takes longer than AckWait on every chunk and counts its calls.
type slowStage struct {
	delay time.Duration
	calls *atomic.Int32
}

func (s slowStage) Process(context.Context, *Chunk) error {
	s.calls.Add(1)
	time.Sleep(s.delay)
	return nil
}

// Chunks a stage works on, or that wait behind a slow one in the same batch,
// are kept alive with in-progress acks: a short AckWait never makes JetStream
// deliver them a second time.
func TestSlowStagesAreNotRedelivered(t *testing.T) {
	dir, n := startStreams(t)
	log := slog.New(slog.DiscardHandler)
	var calls atomic.Int32
	r := &stageRunner{js: n.JS, stages: []Stage{slowStage{1500 * time.Millisecond, &calls}}, report: NewReporter(log),
		deadDir: filepath.Join(dir, "dead"), workers: 1, attempts: 2, ackWait: time.Second}
	if err := r.consumer(t.Context()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		data := CompressChunk(nil, EncodeChunk(&Chunk{Kind: KindLog, Source: "app", Entries: []Entry{{ID: fmt.Sprint(i), Text: "slow"}}}, nil))
		msg := &nats.Msg{Subject: SubjectRaw + ".log.app", Data: data, Header: nats.Header{"Nats-Msg-Id": []string{fmt.Sprint("slow", i)}}}
		if _, err := n.JS.PublishMsg(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go r.run(ctx)
	if ok, err := waitDrained(r); !ok {
		t.Fatalf("chunks still pending: %v", err)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("stage ran %d times for 3 chunks: slow chunks were redelivered", got)
	}
}

// startStreams starts an embedded server with recap's streams in a fresh
// folder, stopped when the test ends.
func startStreams(t *testing.T) (string, *NATS) {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.File, cfg.DataDir = filepath.Join(dir, "recap.yaml"), "data"
	n, err := StartNATS(t.Context(), &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	if err := n.EnsureStreams(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	return dir, n
}

func waitDrained(r *stageRunner) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := waitFor(ctx, r.drained)
	return err == nil, err
}
