package transcript

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzTimeBudget bounds one Parse of a fuzz input (at most a few MB): the
// parsers are linear, so anything near this is a bug.
const fuzzTimeBudget = 3 * time.Second

func FuzzParse(f *testing.F) {
	for _, name := range corpusFiles(f) {
		data, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(name, data)
	}
	for name, text := range map[string]string{
		"a.vtt":  "WEBVTT\n\n00:00.000 --> 00:01.000\n<v A>x</v><v B>y",
		"a.srt":  "1\n0:0:1,5 --> 0:0:2\n{\\an8}<i>x\n\n2\n",
		"a.sbv":  "0:00:01.000,0:00:00.000\nx",
		"a.md":   "# T\n\n**A:** x \\[y\\]",
		"a.txt":  "A: x\nA: y\n- [B] z",
		"a.json": `{"segments":[{"speaker":"A","startTime":1,"endTime":0,"body":"x"}]}`,
		"a.html": "<cite>A:</cite><time>9:99</time><p>&lt;b&gt;x</p>",
		"a.xml":  `<transcript><text start="1e9" dur="NaN">x</text></transcript>`,
	} {
		f.Add(name, []byte(text))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		start := time.Now()
		tr, err := Parse(name, data)
		if time.Since(start) > fuzzTimeBudget {
			// A stalled machine can make any call slow once; a slow input is
			// slow every time.
			start = time.Now()
			Parse(name, data)
			if d := time.Since(start); d > fuzzTimeBudget {
				t.Fatalf("Parse took %v for %d bytes", d, len(data))
			}
		}
		if err != nil {
			return
		}
		checkInvariants(t, tr)
		if tr.Skipped < 0 || len(tr.Problems) > maxProblems {
			t.Fatalf("skipped %d, %d problems", tr.Skipped, len(tr.Problems))
		}
		checkSegments(t, tr.Cues, Segments(tr.Cues, 200, 20*time.Second), 200, 20*time.Second)
	})
}

func FuzzSidecar(f *testing.F) {
	f.Add(false, []byte("title: x\nspeakers: [a, b]\ndate: 2024-03-20\nurl: https://example.org\nencoding: latin1\n"))
	f.Add(false, []byte("date: 2024-03-20T14:30:00Z\nspeakers:\n  - &a x\n  - *a\n"))
	f.Add(true, []byte(`{"title": "x", "date": "2024-03-20", "speakers": ["a"]}`))
	f.Add(true, []byte(`{"title": "x", "extra": 1}`))
	f.Fuzz(func(t *testing.T, isJSON bool, data []byte) {
		path := "talk.meta.yaml"
		if isJSON {
			path = "talk.meta.json"
		}
		m, err := parseSidecar(path, data)
		if (m == nil) == (err == nil) {
			t.Fatalf("got %+v and %v", m, err)
		}
	})
}
