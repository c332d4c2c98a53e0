package parquet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/recap-dev/recap/pipeline"
	"github.com/recap-dev/recap/pipeline/pipelinetest"
)

func newSink(t testing.TB, root, extra string) *Sink {
	t.Helper()
	s, err := New(pipelinetest.Env(t, "sinks[0]", "archive", ".", "path: "+root+"\n"+extra))
	if err != nil {
		t.Fatal(err)
	}
	return s.(*Sink)
}

func chunkOf(seq uint64, from, n int, ingested time.Time) *pipeline.Chunk {
	c := &pipeline.Chunk{Kind: pipeline.KindLog, Source: "app", Seq: seq}
	for i := from; i < from+n; i++ {
		c.Entries = append(c.Entries, pipeline.Entry{
			ID: fmt.Sprintf("id-%d", i), Kind: pipeline.KindLog, Source: "app", Origin: "/var/log/app.log",
			Published: ingested.Add(-time.Second), Ingested: ingested, Text: fmt.Sprintf("line %d", i), Words: 2,
			Level: "info", Categories: []string{"info"}, Tags: []string{"demo"},
			Attrs: []pipeline.Attr{{Key: "seq", Value: fmt.Sprint(i)}},
		})
	}
	return c
}

// acks records done calls.
type acks struct {
	mu   sync.Mutex
	ok   int
	errs []error
}

func (a *acks) done(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil {
		a.errs = append(a.errs, err)
		return
	}
	a.ok++
}

func (a *acks) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ok
}

func readAll(t *testing.T, root string) []Row {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "kind=*", "date=*", "*.parquet"))
	var out []Row
	for _, f := range files {
		rows, err := parquet.ReadFile[Row](f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, rows...)
	}
	return out
}

func TestChunksAreAckedOnlyWhenTheFileIsDurable(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, root, "")
	now := time.Now().UTC()
	var a acks
	for i := range 3 {
		if err := s.Write(t.Context(), chunkOf(uint64(i+1), i*100, 100, now), a.done); err != nil {
			t.Fatal(err)
		}
	}
	if a.count() != 0 {
		t.Fatalf("acked %d chunks before any file was committed", a.count())
	}
	if got := readAll(t, root); len(got) != 0 {
		t.Fatalf("a reader sees %d rows of an uncommitted file", len(got))
	}
	if err := s.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if a.count() != 3 {
		t.Fatalf("acked %d of 3 chunks after flush", a.count())
	}
	files, _ := filepath.Glob(filepath.Join(root, "kind=log", "date="+now.Format(time.DateOnly), "part-*.parquet"))
	if len(files) != 1 || filepath.Base(files[0]) != "part-000000000001-000000000003.parquet" {
		t.Fatalf("files: %v", files)
	}
	rows := readAll(t, root)
	if len(rows) != 300 {
		t.Fatalf("%d rows, want 300", len(rows))
	}
	r := rows[0]
	if r.ID != "id-0" || r.Title != nil || *r.Level != "info" || r.Attrs["seq"] != "0" || r.Tags[0] != "demo" || r.Ingested != now.UnixMicro() {
		t.Errorf("row: %+v", r)
	}
	s.Close(t.Context())
}

func TestDuplicatesAreSkippedAcrossRestarts(t *testing.T) {
	root := t.TempDir()
	now := time.Now().UTC()
	s := newSink(t, root, "")
	var a acks
	s.Write(t.Context(), chunkOf(1, 0, 100, now), a.done)
	s.Write(t.Context(), chunkOf(2, 50, 100, now), a.done) // overlaps the first chunk
	s.Close(t.Context())
	if rows := readAll(t, root); len(rows) != 150 {
		t.Fatalf("%d rows, want 150 distinct", len(rows))
	}
	// A new process re-reads ids from the archive: a redelivered chunk adds nothing.
	s2 := newSink(t, root, "")
	var b acks
	s2.Write(t.Context(), chunkOf(3, 0, 150, now.Add(time.Minute)), b.done)
	s2.Write(t.Context(), chunkOf(4, 140, 20, now.Add(time.Minute)), b.done)
	s2.Close(t.Context())
	if rows := readAll(t, root); len(rows) != 160 {
		t.Fatalf("%d rows after restart, want 160", len(rows))
	}
	if b.count() != 2 {
		t.Errorf("duplicate-only chunk not acked: %d", b.count())
	}
}

// A chunk redelivered while the file holding its entries is being committed
// (the case after kill -9) must wait for that commit, not commit it again.
func TestRedeliveryDuringARollCommitsOnce(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, root, "max_rows: 100\n")
	now := time.Now().UTC()
	var a acks
	for seq := uint64(1); seq <= 20; seq++ {
		if err := s.Write(t.Context(), chunkOf(seq, 0, 100, now), a.done); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("close: %v", err)
	}
	if rows := readAll(t, root); len(rows) != 100 {
		t.Errorf("%d rows, want 100", len(rows))
	}
	if a.count() != 20 || len(a.errs) > 0 {
		t.Errorf("%d chunks acked, errors %v; want 20 and none", a.count(), a.errs)
	}
}

func TestFilesRollByRowsAndPartitionByKindAndDate(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, root, "max_rows: 150\n")
	today := time.Now().UTC()
	yesterday := today.AddDate(0, 0, -1)
	var a acks
	s.Write(t.Context(), chunkOf(1, 0, 100, today), a.done)
	s.Write(t.Context(), chunkOf(2, 100, 100, today), a.done) // rolls: 200 ≥ 150
	s.Write(t.Context(), chunkOf(3, 200, 10, yesterday), a.done)
	s.commits.Wait()
	if a.count() != 2 {
		t.Errorf("the rolled file's chunks should be acked without a flush, got %d", a.count())
	}
	s.Close(t.Context())
	for _, d := range []time.Time{today, yesterday} {
		files, _ := filepath.Glob(filepath.Join(root, "kind=log", "date="+d.Format(time.DateOnly), "part-*.parquet"))
		if len(files) != 1 {
			t.Errorf("%s: %v", d.Format(time.DateOnly), files)
		}
	}
}

func TestAgeRollsQuietPartitions(t *testing.T) {
	root := t.TempDir()
	s := newSink(t, root, "max_age: 1s\n")
	var a acks
	s.Write(t.Context(), chunkOf(1, 0, 5, time.Now().UTC()), a.done)
	deadline := time.Now().Add(10 * time.Second)
	for a.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if a.count() != 1 {
		t.Fatal("file not rolled by age")
	}
	s.Close(t.Context())
}

func TestCrashLeftoversAreRemoved(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "kind=log", "date="+time.Now().UTC().Format(time.DateOnly))
	os.MkdirAll(dir, 0o755)
	tmp := filepath.Join(dir, ".part-123"+tmpSuffix)
	os.WriteFile(tmp, []byte("half a file"), 0o600)
	s := newSink(t, root, "")
	var a acks
	s.Write(t.Context(), chunkOf(1, 0, 1, time.Now().UTC()), a.done)
	s.Close(t.Context())
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Error("temp file of a crashed run still there")
	}
}

func TestOptionErrors(t *testing.T) {
	for yaml, want := range map[string]string{
		"max_rows: 0\n":     "sinks[0].max_rows: must be at least 1",
		"max_age: 10ms\n":   "sinks[0].max_age: must be at least 1s",
		"dedup_days: 99\n":  "sinks[0].dedup_days",
		"compression: x\n":  "unknown key",
		"max_bytes: tiny\n": `invalid size "tiny"`,
	} {
		_, err := New(pipelinetest.Env(t, "sinks[0]", "archive", ".", "path: x\n"+yaml))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want %q, got %v", yaml, want, err)
		}
	}
}

func BenchmarkSinkWrite(b *testing.B) {
	root := b.TempDir()
	s := newSink(b, root, "max_rows: 1000000\n")
	now := time.Now().UTC()
	chunks := make([]*pipeline.Chunk, 64)
	for i := range chunks {
		chunks[i] = chunkOf(uint64(i+1), i*4000, 4000, now)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c := chunks[i%len(chunks)]
		c.Seq = uint64(i + 1)
		b.StopTimer() // fresh ids, so the dedup set does not skip the rows
		for j := range c.Entries {
			c.Entries[j].ID = fmt.Sprintf("b-%d-%d", i, j)
		}
		b.StartTimer()
		s.Write(b.Context(), c, func(error) {})
	}
	s.Close(b.Context())
	b.ReportMetric(float64(b.N*4000)/b.Elapsed().Seconds(), "entries/s")
}
