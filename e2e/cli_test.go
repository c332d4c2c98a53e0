package e2e

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCLIExitCodesAndMessages(t *testing.T) {
	dir := t.TempDir()
	bad := writeConfig(t, dir, `data_dir: ./data
buffer: {chunk_bytes: lots}
sources:
  - {name: recaps, type: feed, urls: ["ftp://example.org/feed"], intervall: 5m}
  - {name: recaps, type: rss}
stages:
  - {type: tag, rules: [{tag: x, regex: '(unclosed'}]}
sinks:
  - {name: archive, type: parquet}
`)
	res := recap(t, 30*time.Second, "validate", "-c", bad)
	if res.code != 2 {
		t.Fatalf("validate of a broken file: exit %d, want 2", res.code)
	}
	for _, want := range []string{
		`recap.yaml:2:23: buffer.chunk_bytes: invalid size "lots"`,
		`recap.yaml:5:12: sources[1].name: duplicate name "recaps"`,
		`sources[1].type: unknown type "rss"`,
		`recap.yaml:4:66: sources[0].intervall: unknown key`,
		`sources[0].urls: urls[0] "ftp://example.org/feed": unsupported scheme "ftp"`,
		`stages[0].rules[0].regex`,
		`sinks[0].path: required key is missing`,
	} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("validate output lacks %q:\n%s", want, res.stderr)
		}
	}
	if res := recap(t, 30*time.Second, "run", "-c", bad, "--once"); res.code != 2 {
		t.Errorf("run with a broken config: exit %d, want 2", res.code)
	}
	if res := recap(t, 10*time.Second, "frobnicate"); res.code != 2 || !strings.Contains(res.stderr, "unknown command") {
		t.Errorf("unknown command: exit %d %q", res.code, res.stderr)
	}
	if res := recap(t, 10*time.Second, "run"); res.code != 2 {
		t.Errorf("run without -c: exit %d", res.code)
	}
	if res := recap(t, 10*time.Second, "version"); res.code != 0 || !strings.HasPrefix(res.stdout, "recap ") {
		t.Errorf("version: exit %d %q", res.code, res.stdout)
	}
	if res := recap(t, 10*time.Second, "tail"); res.code != 2 {
		t.Errorf("tail without --tag: exit %d", res.code)
	}

	// A runtime failure (the metrics port is taken) is exit 1 with the reason.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	good := writeConfig(t, dir, `data_dir: `+filepath.Join(dir, "data")+`
http: {listen: `+busy.Addr().String()+`}
sources:
  - {name: recaps, type: feed, urls: [file:missing.xml]}
sinks:
  - {name: archive, type: parquet, path: `+filepath.Join(dir, "archive")+`}
`)
	res = recap(t, time.Minute, "run", "-c", good, "--once")
	if res.code != 1 || !strings.Contains(res.stderr, "address already in use") {
		t.Errorf("runtime failure: exit %d\n%s", res.code, res.stderr)
	}
}
