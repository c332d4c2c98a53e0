package tail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-dev/recap/pipeline"
	"github.com/recap-dev/recap/pipeline/pipelinetest"
)

func newSource(t *testing.T, state pipeline.State, yaml string) (*Source, *pipeline.Reporter) {
	t.Helper()
	env := pipelinetest.Env(t, "sources[0]", "app", t.TempDir(), yaml)
	env.Once, env.State = true, state
	src, err := New(env)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*Source), env.Report
}

func writeLines(t *testing.T, path string, lines ...string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}

func TestJSONLinesMapToEntries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeLines(t, path,
		`{"ts":"2026-11-26T03:00:00.123Z","level":"INFO","service":"checkout","seq":1,"msg":"order placed","ok":true,"ctx":{"a":[1,2]}}`,
		`not json at all`,
		``,
		`{"time":1764126000,"lvl":"warning","message":"slow \"db\"","seq":2}`,
	)
	src, rep := newSource(t, pipelinetest.NewMemState(), "paths: ["+path+"]\nformat: json\n")
	em := &pipelinetest.Collector{}
	if err := src.Run(t.Context(), em); err != nil {
		t.Fatal(err)
	}
	got := em.Entries()
	if len(got) != 3 {
		t.Fatalf("want 3 entries (blank line skipped), got %d", len(got))
	}
	e := got[0]
	if e.Text != "order placed" || e.Level != "info" || !e.Published.Equal(time.Date(2026, 11, 26, 3, 0, 0, 123e6, time.UTC)) {
		t.Errorf("mapped fields: %+v", e)
	}
	if e.Attr("service") != "checkout" || e.Attr("seq") != "1" || e.Attr("ok") != "true" || e.Attr("ctx") != `{"a":[1,2]}` {
		t.Errorf("attrs: %+v", e.Attrs)
	}
	if len(e.Categories) != 1 || e.Categories[0] != "info" || e.Origin != path || e.Kind != pipeline.KindLog {
		t.Errorf("categories/origin/kind: %+v", e)
	}
	fi, _ := os.Stat(path)
	if want := pipeline.StableID("app", fileIdentity(path, fi), "0"); e.ID != want {
		t.Errorf("id %s, want StableID(source, identity, offset) = %s", e.ID, want)
	}
	if bad := got[1]; bad.Text != "not json at all" || len(bad.Attrs) != 0 {
		t.Errorf("non-JSON line must be kept as text: %+v", bad)
	}
	if w := got[2]; w.Text != `slow "db"` || w.Level != "warn" || !w.Published.Equal(time.Unix(1764126000, 0).UTC()) {
		t.Errorf("second JSON line: %+v", w)
	}
	if n := pipelinetest.Errors(rep, "app", "parse"); n != 1 {
		t.Errorf("parse errors counted: %v, want 1", n)
	}
}

func TestResumesFromCheckpointAndIdsAreStable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	for i := range 100 {
		writeLines(t, path, fmt.Sprintf(`{"seq":%d,"msg":"line %d"}`, i, i))
	}
	state := pipelinetest.NewMemState()
	src, _ := newSource(t, state, "paths: ["+filepath.Join(dir, "*.log")+"]\nformat: json\n")
	first := &pipelinetest.Collector{}
	src.Run(t.Context(), first)
	if n := first.Len(); n != 100 {
		t.Fatalf("first run: %d entries", n)
	}
	for i := 100; i < 150; i++ {
		writeLines(t, path, fmt.Sprintf(`{"seq":%d,"msg":"line %d"}`, i, i))
	}
	second := &pipelinetest.Collector{}
	src2, _ := newSource(t, state, "paths: ["+filepath.Join(dir, "*.log")+"]\nformat: json\n")
	src2.Run(t.Context(), second)
	got := second.Entries()
	if len(got) != 50 || got[0].Attr("seq") != "100" {
		t.Fatalf("second run should read only the 50 new lines, got %d starting at %v", len(got), got[0].Attrs)
	}
	// Without the checkpoint, a re-read gives the very same ids.
	third := &pipelinetest.Collector{}
	src3, _ := newSource(t, pipelinetest.NewMemState(), "paths: ["+path+"]\nformat: json\n")
	src3.Run(t.Context(), third)
	all := third.Entries()
	if all[100].ID != got[0].ID || all[0].ID != first.Entries()[0].ID {
		t.Errorf("ids changed on re-read")
	}
}

func TestLongLineIsCutAndCounted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.log")
	writeLines(t, path, "short", strings.Repeat("y", 600<<10), "after")
	src, rep := newSource(t, pipelinetest.NewMemState(), "paths: ["+path+"]\nmax_line_bytes: 64KiB\n")
	em := &pipelinetest.Collector{}
	src.Run(t.Context(), em)
	got := em.Entries()
	if len(got) != 3 || len(got[1].Text) != 64<<10 || got[1].Attr("truncated") != "true" || got[2].Text != "after" {
		t.Fatalf("got %d entries; cut line %d bytes, attrs %v; last %q", len(got), len(got[1].Text), got[1].Attrs, got[2].Text)
	}
	fi, _ := os.Stat(path)
	if want := pipeline.StableID("app", fileIdentity(path, fi), fmt.Sprint(6+600<<10+1)); got[2].ID != want {
		t.Errorf("offset after a cut line is wrong")
	}
	if pipelinetest.Errors(rep, "app", "line_too_long") != 1 {
		t.Errorf("cut not counted")
	}
}

func TestTextAndLogfmtLines(t *testing.T) {
	var p lineParser
	var e pipeline.Entry
	p.format = "text"
	p.parse([]byte("2026-11-26 03:00:00 WARN disk almost full"), &e)
	if e.Level != "warn" || e.Text != "2026-11-26 03:00:00 WARN disk almost full" {
		t.Errorf("text: %+v", e)
	}
	e = pipeline.Entry{}
	p.parse([]byte("an error occurred in prose"), &e)
	if e.Level != "" {
		t.Errorf("lower-case prose must not set a level: %q", e.Level)
	}
	e = pipeline.Entry{}
	p.format = "logfmt"
	if !p.parse([]byte(`ts=2026-11-26T03:00:00Z level=error msg="boom \"x\"" user=ada retry`), &e) {
		t.Fatal("logfmt line rejected")
	}
	if e.Level != "error" || e.Text != `boom "x"` || e.Attr("user") != "ada" || len(e.Attrs) != 2 {
		t.Errorf("logfmt: %+v", e)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{`{"ts":"2026-11-26T03:00:00Z","level":"info","msg":"x","n":1}`, `a=1 b="two" c`, "INFO plain", `{"msg":"\u00e9\ud800"}`, `{"ts":1e400}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, format := range []string{"json", "logfmt", "text"} {
			p := lineParser{format: format}
			var e pipeline.Entry
			if !p.parse([]byte(line), &e) && e.Text != line {
				t.Fatalf("%s: rejected line not kept as text: %q", format, e.Text)
			}
			enc := pipeline.NewChunkEncoder(pipeline.KindLog, "app", 0)
			e.ID = "x"
			enc.Add(&e)
			var c pipeline.Chunk
			if err := pipeline.DecodeChunk(enc.Bytes(), &c); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func BenchmarkParseJSONLine(b *testing.B) {
	line := []byte(`{"ts":"2026-11-26T03:00:00.123456Z","level":"info","service":"checkout","seq":123456,"msg":"request served path=/api/v1/items/123456 status=200 duration=12ms user=ada region=eu-west-1 cache=hit"}`)
	p := lineParser{format: "json"}
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		var e pipeline.Entry
		p.parse(line, &e)
	}
}
