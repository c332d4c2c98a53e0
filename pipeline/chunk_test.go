package pipeline

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

func sampleEntries() []Entry {
	pub := time.Date(2026, 4, 1, 17, 30, 0, 123000, time.UTC)
	ing := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	return []Entry{
		{ID: "a1", Kind: KindFeedItem, Source: "recaps", Origin: "https://example.org/feed", Title: "Day 1", URL: "https://example.org/1",
			Authors: []string{"Ada", "Lin"}, Published: pub, Ingested: ing, Text: "<p>Prometheus</p>", HTML: true,
			Lang: "en", Words: 1, Categories: []string{"kubecon"}, Tags: []string{"prometheus", "observability"},
			Attrs: []Attr{{"feed_title", "Notes"}, {"guid", "urn:1"}}},
		{ID: "a2", Kind: KindFeedItem, Source: "recaps", Origin: "https://example.org/feed", Title: "", URL: "",
			Published: pub, Ingested: ing, Text: "plain"},
		{ID: "a3", Kind: KindFeedItem, Source: "recaps", Origin: "https://example.org/other", Ingested: ing,
			Timing: &Timing{StartMs: 1500, EndMs: 4200}, Level: "warn", Text: "ünïcødé ✓"},
	}
}

func TestChunkRoundTrip(t *testing.T) {
	in := &Chunk{Kind: KindFeedItem, Source: "recaps", Entries: sampleEntries()}
	data := EncodeChunk(in, nil)
	var out Chunk
	if err := DecodeChunk(data, &out); err != nil {
		t.Fatal(err)
	}
	if out.Kind != in.Kind || out.Source != in.Source {
		t.Fatalf("header: %q %q", out.Kind, out.Source)
	}
	if !reflect.DeepEqual(in.Entries, out.Entries) {
		for i := range in.Entries {
			if !reflect.DeepEqual(in.Entries[i], out.Entries[i]) {
				t.Errorf("entry %d:\n in %+v\nout %+v", i, in.Entries[i], out.Entries[i])
			}
		}
	}
}

func TestCompressedChunkRoundTrip(t *testing.T) {
	in := &Chunk{Kind: KindLog, Source: "app", Entries: logEntries(500)}
	raw := EncodeChunk(in, nil)
	wire := CompressChunk(nil, raw)
	if len(wire) >= len(raw)/2 {
		t.Errorf("log chunk compressed only from %d to %d bytes", len(raw), len(wire))
	}
	var out Chunk
	if err := DecodeChunk(wire, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in.Entries, out.Entries) {
		t.Error("entries changed through compression")
	}
	bomb := append([]byte(compressedMagic), 0xff, 0xff, 0xff, 0xff, 0x0f) // claims 4 GiB
	if err := DecodeChunk(bomb, &out); !errors.Is(err, ErrCorruptChunk) {
		t.Errorf("oversized claim: %v", err)
	}
}

func TestChunkRepeatedFieldsAreCheap(t *testing.T) {
	enc := NewChunkEncoder(KindLog, "app", 1<<16)
	e := Entry{ID: "x", Origin: "/var/log/app/very/long/path/to/the/service.log", Level: "info", Text: "ok"}
	enc.Add(&e)
	first := enc.Len()
	e.ID = "y"
	enc.Add(&e)
	if second := enc.Len() - first; second > 20 {
		t.Errorf("a repeated origin/level should cost a byte each; second entry took %d bytes", second)
	}
}

func TestDecodeRejectsCorruptChunks(t *testing.T) {
	good := EncodeChunk(&Chunk{Kind: KindLog, Source: "app", Entries: sampleEntries()}, nil)
	for name, data := range map[string][]byte{
		"empty":     nil,
		"magic":     []byte("NOPE"),
		"truncated": good[:len(good)-3],
		"trailing":  append(append([]byte(nil), good...), 1, 2, 3),
		"huge count": func() []byte {
			b := append([]byte(nil), good[:len(chunkMagic)+1+len(KindLog)+1+len("app")]...)
			return append(b, 0xff, 0xff, 0xff, 0x7f)
		}(),
	} {
		var c Chunk
		if err := DecodeChunk(data, &c); !errors.Is(err, ErrCorruptChunk) {
			t.Errorf("%s: want ErrCorruptChunk, got %v", name, err)
		}
	}
}

func FuzzDecodeChunk(f *testing.F) {
	f.Add(EncodeChunk(&Chunk{Kind: KindFeedItem, Source: "recaps", Entries: sampleEntries()}, nil))
	f.Add([]byte(chunkMagic))
	f.Add(CompressChunk(nil, EncodeChunk(&Chunk{Kind: KindLog, Source: "app", Entries: logEntries(3)}, nil)))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Chunk
		if err := DecodeChunk(data, &c); err != nil {
			return
		}
		// Whatever decodes must encode back to something that decodes the same.
		var again Chunk
		if err := DecodeChunk(EncodeChunk(&c, nil), &again); err != nil {
			t.Fatalf("re-encoded chunk does not decode: %v", err)
		}
		if len(again.Entries) != len(c.Entries) {
			t.Fatalf("entry count changed: %d → %d", len(c.Entries), len(again.Entries))
		}
	})
}

func TestNormalizeTag(t *testing.T) {
	for in, want := range map[string]string{
		"Prometheus": "prometheus", "Fluent Bit": "fluent-bit", "  cert-manager ": "cert-manager",
		"a.b>c*": "a-b-c", "--x": "x", "_y_": "y_", "!!!": "", "": "", "k8s_security": "k8s_security",
	} {
		if got := NormalizeTag(in); got != want {
			t.Errorf("NormalizeTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkChunkEncode(b *testing.B) {
	entries := logEntries(4000)
	enc := NewChunkEncoder(KindLog, "app", 2<<20)
	b.ReportAllocs()
	for b.Loop() {
		enc.Reset(KindLog, "app")
		for i := range entries {
			enc.Add(&entries[i])
		}
		b.SetBytes(int64(enc.Len()))
	}
}

func BenchmarkChunkDecode(b *testing.B) {
	data := EncodeChunk(&Chunk{Kind: KindLog, Source: "app", Entries: logEntries(4000)}, nil)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var c Chunk
		if err := DecodeChunk(data, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func logEntries(n int) []Entry {
	out := make([]Entry, n)
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range out {
		out[i] = Entry{ID: StableID("app", "/var/log/app.log", fmt.Sprint(i*270)), Kind: KindLog, Source: "app", Origin: "/var/log/app.log",
			Published: now, Ingested: now, Level: "info", Words: 9,
			Text:  fmt.Sprintf("request served path=/api/v1/items/%d status=200 duration=12ms", i),
			Attrs: []Attr{{"service", "checkout"}, {"seq", fmt.Sprint(i)}}}
	}
	return out
}

// Sources may pass strings whose memory they reuse after Add (the tail source
// does, to avoid an allocation per line); the encoder must not be fooled.
func TestEncoderDoesNotKeepCallerStrings(t *testing.T) {
	buf := []byte("line-1")
	enc := NewChunkEncoder(KindLog, "app", 0)
	for i := range 3 {
		buf[len(buf)-1] = byte('1' + i)
		s := unsafe.String(&buf[0], len(buf))
		enc.Add(&Entry{ID: s, Text: s})
	}
	var c Chunk
	if err := DecodeChunk(enc.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	for i, e := range c.Entries {
		if want := fmt.Sprintf("line-%d", i+1); e.ID != want || e.Text != want {
			t.Errorf("entry %d: id %q text %q, want %q", i, e.ID, e.Text, want)
		}
	}
}
