package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeJetStream stores chunks like JetStream would, dropping duplicate ids, and
// can be switched off to play an outage.
type fakeJetStream struct {
	mu     sync.Mutex
	down   bool
	ids    map[string]bool
	chunks []Chunk
}

func newFakeJetStream() *fakeJetStream { return &fakeJetStream{ids: map[string]bool{}} }

func (f *fakeJetStream) PublishChunk(subject, id string, data []byte) <-chan error {
	res := make(chan error, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		res <- errors.New("nats: no responders available for request")
		return res
	}
	if !f.ids[id] {
		f.ids[id] = true
		var c Chunk
		if err := DecodeChunk(data, &c); err != nil {
			res <- err
			return res
		}
		c.ID = id
		f.chunks = append(f.chunks, c)
	}
	res <- nil
	return res
}

func (f *fakeJetStream) setDown(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

// entryIDs lists every stored entry id, in order.
func (f *fakeJetStream) entryIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, c := range f.chunks {
		for _, e := range c.Entries {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

func testEnv(t *testing.T, name string) *Env {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return &Env{Name: name, Log: log, Report: NewReporter(log)}
}

func testBufferConfig(dir string) BufferConfig {
	return BufferConfig{ChunkBytes: 4 << 10, FlushInterval: 20 * time.Millisecond, MemLimit: 16 << 10, DiskLimit: 32 << 10,
		Dir: dir, Window: 4, PublishWait: time.Second}
}

func emitN(t *testing.T, ctx context.Context, b *Buffer, from, n int, marks *atomic.Int64) {
	t.Helper()
	for i := from; i < from+n; i++ {
		e := &Entry{ID: fmt.Sprintf("e%06d", i), Kind: KindLog, Text: noise(i)}
		mark := func() { marks.Store(int64(i)) }
		if err := b.Emit(ctx, e, mark); err != nil {
			t.Fatalf("emit %d: %v", i, err)
		}
	}
}

// noise is about 130 bytes of text that does not compress, so chunk sizes
// stay predictable through compression.
func noise(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprint(i)))
	s := hex.EncodeToString(sum[:])
	sum = sha256.Sum256(sum[:])
	return fmt.Sprintf("%06d %s%s", i, s, hex.EncodeToString(sum[:]))
}

func wantIDs(t *testing.T, got []string, n int) {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range got {
		if seen[id] {
			t.Fatalf("entry %s stored twice", id)
		}
		seen[id] = true
	}
	for i := range n {
		if id := fmt.Sprintf("e%06d", i); !seen[id] {
			t.Fatalf("entry %s lost (stored %d of %d)", id, len(seen), n)
		}
	}
}

func TestBufferPublishesInOrderAndMarksAfterStore(t *testing.T) {
	js := newFakeJetStream()
	ctx := t.Context()
	b, err := NewBuffer(testEnv(t, "app"), []string{"demo"}, testBufferConfig(""), js)
	if err != nil {
		t.Fatal(err)
	}
	b.Start(ctx)
	var marks atomic.Int64
	emitN(t, ctx, b, 0, 500, &marks)
	if err := b.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	b.Stop()
	ids := js.entryIDs()
	wantIDs(t, ids, 500)
	for i, id := range ids {
		if id != fmt.Sprintf("e%06d", i) {
			t.Fatalf("order: position %d holds %s", i, id)
		}
	}
	if marks.Load() != 499 {
		t.Errorf("last mark = %d, want 499", marks.Load())
	}
	if len(js.chunks) < 10 {
		t.Errorf("expected entries grouped into ~4KiB chunks, got %d chunks", len(js.chunks))
	}
	if c := js.chunks[0]; c.Source != "app" || !c.Entries[0].HasTag("demo") || c.Entries[0].Ingested.IsZero() {
		t.Errorf("pipeline fields not set: %+v", c.Entries[0])
	}
}

// While JetStream is down, chunks fill memory, then disk, then Emit blocks; when
// it comes back everything is published exactly once.
func TestBufferOutageSpillsToDiskPausesAndResumes(t *testing.T) {
	js := newFakeJetStream()
	js.setDown(true)
	dir := t.TempDir()
	ctx := t.Context()
	env := testEnv(t, "app")
	b, err := NewBuffer(env, nil, testBufferConfig(dir), js)
	if err != nil {
		t.Fatal(err)
	}
	b.Start(ctx)
	var marks atomic.Int64
	marks.Store(-1)
	emitted := make(chan int, 1)
	go func() {
		for i := 0; i < 2000; i++ {
			e := &Entry{ID: fmt.Sprintf("e%06d", i), Kind: KindLog, Text: noise(i)}
			if err := b.Emit(ctx, e, func() { marks.Store(int64(i)) }); err != nil {
				t.Error(err)
				return
			}
			select {
			case emitted <- i:
			default:
				<-emitted
				emitted <- i
			}
		}
	}()
	// The source must pause well before 2000 entries: ~48KiB of buffer holds ~400.
	waitUntil(t, func() bool { return gauge(env, "app", "disk") > 0 })
	time.Sleep(200 * time.Millisecond)
	last := <-emitted
	if last >= 1999 {
		t.Fatalf("source was not paused by a full buffer")
	}
	if marks.Load() != -1 {
		t.Fatalf("a mark ran although nothing was stored")
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "seg-*.rbuf")); len(files) == 0 {
		t.Fatalf("no disk segment written")
	}
	js.setDown(false)
	waitUntil(t, func() bool { return marks.Load() == 1999 })
	if err := b.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	b.Stop()
	wantIDs(t, js.entryIDs(), 2000)
	if files, _ := filepath.Glob(filepath.Join(dir, "seg-*.rbuf")); len(files) != 0 {
		t.Errorf("published segments not deleted: %v", files)
	}
}

// Chunks still buffered at shutdown are saved and published by the next start.
func TestBufferSurvivesRestart(t *testing.T) {
	js := newFakeJetStream()
	js.setDown(true)
	dir := t.TempDir()
	ctx := t.Context()
	b, err := NewBuffer(testEnv(t, "app"), nil, testBufferConfig(dir), js)
	if err != nil {
		t.Fatal(err)
	}
	b.Start(ctx)
	var marks atomic.Int64
	emitN(t, ctx, b, 0, 150, &marks)
	b.Stop()

	js.setDown(false)
	b2, err := NewBuffer(testEnv(t, "app"), nil, testBufferConfig(dir), js)
	if err != nil {
		t.Fatal(err)
	}
	b2.Start(ctx)
	if err := b2.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	b2.Stop()
	wantIDs(t, js.entryIDs(), 150)
}

func TestDiskQueueRecoversTornTail(t *testing.T) {
	dir := t.TempDir()
	q := writeRecords(t, dir, 5)
	seg := q.cur.path
	q.close()
	st, _ := os.Stat(seg)
	if err := os.Truncate(seg, st.Size()-7); err != nil { // a crash in the middle of the last record
		t.Fatal(err)
	}
	_, recs, rep, err := openDiskQueue(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || rep.TornBytes == 0 || len(rep.MovedAside) != 0 {
		t.Fatalf("want 4 records and a cut torn tail, got %d records, report %+v", len(recs), rep)
	}
	checkRecords(t, recs)
}

func TestDiskQueueMovesCorruptFileAsideKeepingValidPrefix(t *testing.T) {
	dir := t.TempDir()
	q := writeRecords(t, dir, 5)
	seg := q.cur.path
	q.close()
	data, _ := os.ReadFile(seg)
	data[len(data)-20] ^= 0xff // flip a byte inside the last record
	os.WriteFile(seg, data, 0o600)
	q2, recs, rep, err := openDiskQueue(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || len(rep.MovedAside) != 1 {
		t.Fatalf("want 4 valid records and one file moved aside, got %d, %+v", len(recs), rep)
	}
	checkRecords(t, recs)
	if _, err := os.Stat(seg); !os.IsNotExist(err) {
		t.Errorf("corrupt segment still in place")
	}
	q2.close()
	// A second start finds the recovered records, and no loop over the bad file.
	_, again, rep2, err := openDiskQueue(dir, true)
	if err != nil || len(again) != 4 || len(rep2.MovedAside) != 0 {
		t.Fatalf("second recovery: %d records, %+v, %v", len(again), rep2, err)
	}
}

func TestDiskQueueGarbageFileIsMovedAside(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "seg-0000000000000001.rbuf"), []byte("not a segment at all"), 0o600)
	_, recs, rep, err := openDiskQueue(dir, true)
	if err != nil || len(recs) != 0 || len(rep.MovedAside) != 1 {
		t.Fatalf("got %d records, %+v, %v", len(recs), rep, err)
	}
}

func writeRecords(t *testing.T, dir string, n int) *diskQueue {
	t.Helper()
	q, _, _, err := openDiskQueue(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		data := EncodeChunk(&Chunk{Kind: KindLog, Source: "app", Entries: []Entry{{ID: fmt.Sprint(i), Text: "hello"}}}, nil)
		if _, err := q.append(SubjectRaw+".log.app", fmt.Sprintf("chunk-%d", i), data); err != nil {
			t.Fatal(err)
		}
	}
	return q
}

func checkRecords(t *testing.T, recs []recovered) {
	t.Helper()
	for i, r := range recs {
		data, err := r.rec.read()
		if err != nil {
			t.Fatal(err)
		}
		var c Chunk
		if err := DecodeChunk(data, &c); err != nil || r.id != fmt.Sprintf("chunk-%d", i) || c.Entries[0].ID != fmt.Sprint(i) {
			t.Fatalf("record %d: id %s, %v", i, r.id, err)
		}
	}
}

func gauge(env *Env, source, tier string) float64 {
	families, _ := env.Report.Registry().Gather()
	for _, f := range families {
		if f.GetName() != "recap_buffer_bytes" {
			continue
		}
		for _, m := range f.GetMetric() {
			var s, ti string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "source":
					s = l.GetValue()
				case "tier":
					ti = l.GetValue()
				}
			}
			if s == source && ti == tier {
				return m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
