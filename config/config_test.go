package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const valid = `
data_dir: ./state
buffer: {chunk_bytes: 512KiB, flush_interval: 250ms}
sources:
  - {name: recaps, type: feed, urls: [https://example.org/index.xml], tags: [kubecon]}
stages:
  - {type: text}
sinks:
  - {name: archive, type: parquet, path: ./archive}
`

func TestParseValidAppliesDefaults(t *testing.T) {
	cfg, err := Parse("recap.yaml", []byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "./state" || cfg.HTTP.Listen != "127.0.0.1:8787" || cfg.NATS.Replicas != 1 {
		t.Errorf("unexpected top level: %+v", cfg)
	}
	if cfg.Buffer.ChunkBytes != 512<<10 || cfg.Buffer.FlushInterval.D() != 250*time.Millisecond {
		t.Errorf("buffer not decoded: %+v", cfg.Buffer)
	}
	if cfg.Buffer.MemLimit != 64<<20 || cfg.Buffer.DiskLimit != 1<<30 {
		t.Errorf("buffer defaults not applied: %+v", cfg.Buffer)
	}
	src := cfg.Sources[0]
	if src.Name != "recaps" || src.Type != "feed" || len(src.Tags) != 1 || src.Tags[0] != "kubecon" {
		t.Errorf("source common keys: %+v", src)
	}
	var opts struct {
		URLs []string `yaml:"urls"`
	}
	if err := src.Options.Decode(&opts); err != nil || len(opts.URLs) != 1 {
		t.Errorf("source options: %v %v", opts, err)
	}
	if got := cfg.Path("archive"); got != "archive" {
		t.Errorf("relative path from a bare file name: %q", got)
	}
}

// Each case names the line and key path the error must point at.
func TestParseErrorsNameLineAndKey(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown top-level key", "data_dir: x\nbogus: 1\n" + minimal, "recap.yaml:2:1: bogus: unknown key"},
		{"wrong type", "buffer:\n  chunk_bytes: [1]\n" + minimal, "recap.yaml:2:16: buffer.chunk_bytes: expected a size, got a list"},
		{"bad size", "buffer:\n  mem_limit: lots\n" + minimal, `recap.yaml:2:14: buffer.mem_limit: invalid size "lots"`},
		{"bad duration", "buffer: {flush_interval: 1 second}\n" + minimal, `buffer.flush_interval: invalid duration "1 second"`},
		{"wrong scalar type", "nats: {replicas: three}\n" + minimal, `recap.yaml:1:18: nats.replicas: expected an integer, got "three"`},
		{"duplicate key", "data_dir: a\ndata_dir: b\n" + minimal, "recap.yaml:2:1: data_dir: duplicate key"},
		{"missing type", "sources:\n  - {name: a}\nsinks:\n  - {name: s, type: parquet}\n", "recap.yaml:2:5: sources[0].type: required key is missing"},
		{"duplicate source name", "sources:\n  - {name: a, type: feed}\n  - {name: a, type: feed}\nsinks:\n  - {name: s, type: parquet}\n", `recap.yaml:3:12: sources[1].name: duplicate name "a" (also used by sources[0])`},
		{"name escaping a path", "sources:\n  - {name: ../etc, type: feed}\nsinks:\n  - {name: s, type: parquet}\n", `sources[0].name: "../etc" is not a valid name`},
		{"tags on a sink", "sources:\n  - {name: a, type: feed}\nsinks:\n  - {name: s, type: parquet, tags: [x]}\n", "sinks[0].tags: tags are set on sources, not on sinks"},
		{"no sources", "sinks:\n  - {name: s, type: parquet}\n", "sources: at least one source is required"},
		{"bad listen", "http: {listen: nowhere}\n" + minimal, `http.listen: want host:port, got "nowhere"`},
		{"syntax", "sources: [\n", "recap.yaml:1: YAML syntax"},
		{"unset variable", "data_dir: ${RECAP_TEST_UNSET_VAR}\n" + minimal, "recap.yaml:1:11: data_dir: environment variable RECAP_TEST_UNSET_VAR is not set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("recap.yaml", []byte(c.yaml))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want error containing %q, got:\n%v", c.want, err)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want Errors", err)
			}
		})
	}
}

const minimal = "sources:\n  - {name: a, type: feed}\nsinks:\n  - {name: s, type: parquet}\n"

func TestParseListsEveryError(t *testing.T) {
	_, err := Parse("recap.yaml", []byte("bogus: 1\nbuffer: {chunk_bytes: x, mem_limit: y}\n"+minimal))
	var es Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
}

func TestEnvironmentExpansion(t *testing.T) {
	t.Setenv("RECAP_TEST_DIR", "/srv/recap")
	cfg, err := Parse("recap.yaml", []byte("data_dir: ${RECAP_TEST_DIR}/data\nnats: {url: '${RECAP_TEST_NATS:-nats://localhost:4222}', token: 'a$$b'}\n"+minimal))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/srv/recap/data" || cfg.NATS.URL != "nats://localhost:4222" || cfg.NATS.Token != "a$b" {
		t.Errorf("expansion: %q %q %q", cfg.DataDir, cfg.NATS.URL, cfg.NATS.Token)
	}
}

func TestOptionsDecodeIsStrictAndLocated(t *testing.T) {
	cfg, err := Parse("recap.yaml", []byte("sources:\n  - name: a\n    type: feed\n    interval: soon\n    colour: red\n"+minimal[len("sources:\n  - {name: a, type: feed}\n"):]))
	if err != nil {
		t.Fatal(err)
	}
	var opts struct {
		Interval Duration `yaml:"interval"`
	}
	err = cfg.Sources[0].Options.Decode(&opts)
	for _, want := range []string{`recap.yaml:4:15: sources[0].interval: invalid duration "soon"`, "recap.yaml:5:5: sources[0].colour: unknown key (known keys: interval)"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in:\n%v", want, err)
		}
	}
	if e := cfg.Sources[0].Options.Errorf("interval", "too short"); e.Line != 4 || e.Path != "sources[0].interval" {
		t.Errorf("Errorf located at %d %q", e.Line, e.Path)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]Size{"4096": 4096, "1KiB": 1024, "1MiB": 1 << 20, "1.5GiB": 3 << 29, "64MB": 64e6, "2 KiB": 2048} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1XB", "lots", "1e300GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestLoadResolvesPathsAgainstTheFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "recap.yaml")
	if err := os.WriteFile(file, []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Path("data"); got != filepath.Join(dir, "data") {
		t.Errorf("Path = %q", got)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file error: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte(minimal))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err == nil && (len(cfg.Sources) == 0 || len(cfg.Sinks) == 0) {
			t.Fatalf("accepted a configuration without sources or sinks")
		}
	})
}

func TestOptionsErrorfFollowsListIndexes(t *testing.T) {
	o, err := NewOptions("recap.yaml", "stages[1]", "fields: [title]\nrules:\n  - {tag: a, any: [x]}\n  - tag: b\n    fields: [bogus]\n")
	if err != nil {
		t.Fatal(err)
	}
	if e := o.Errorf("rules[1].fields", "bad"); e.Line != 5 || e.Path != "stages[1].rules[1].fields" {
		t.Errorf("got line %d path %q, want line 5", e.Line, e.Path)
	}
	if e := o.Errorf("rules[0].missing", "bad"); e.Line != 3 {
		t.Errorf("a missing key should point at its mapping (line 3), got %d", e.Line)
	}
}

func TestRequiredMeansPresentAndNotEmpty(t *testing.T) {
	var opts struct {
		Path  string   `yaml:"path,required"`
		Paths []string `yaml:"paths,required"`
	}
	o, _ := NewOptions("recap.yaml", "sinks[0]", "path: ''\npaths: []\n")
	err := o.Decode(&opts)
	for _, want := range []string{"recap.yaml:1:7: sinks[0].path: must not be empty", "recap.yaml:2:8: sinks[0].paths: must not be empty"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}
