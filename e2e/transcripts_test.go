package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

const deepDiveVTT = `WEBVTT

NOTE recorded at the observability track

00:00:01.000 --> 00:00:05.000
<v Ada Field>Welcome everyone. Today we look at how Prometheus scrapes thousands of targets.

00:00:05.500 --> 00:00:09.000
<v Ada Field>We will also store the metrics for years with <b>Thanos</b>.

00:01:10.000 --> 00:01:15.000
<v Lin Notes>Thanks Ada. Let me show the Prometheus remote write setup.
`

// talkEntry is the JSON of a message on recap.tag.<tag>.
type talkEntry struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Source  string            `json:"source"`
	Title   string            `json:"title"`
	URL     string            `json:"url"`
	Authors []string          `json:"authors"`
	Text    string            `json:"text"`
	Lang    string            `json:"lang"`
	Tags    []string          `json:"tags"`
	StartMs *int64            `json:"start_ms"`
	EndMs   *int64            `json:"end_ms"`
	Attrs   map[string]string `json:"attrs"`
}

// A transcript dropped into a watched folder of a running daemon reaches a
// plain NATS subscriber of recap.tag.<tag> within seconds, and
// `recap tail --since` replays it.
func TestTranscriptToTaggedStream(t *testing.T) {
	dir := t.TempDir()
	talks := filepath.Join(dir, "talks")
	os.MkdirAll(talks, 0o755)
	natsAddr := freePort(t)
	cfg := writeConfig(t, dir, fmt.Sprintf(`data_dir: %s
nats: {listen: %s}
http: {listen: ""}
sources:
  - {name: talks, type: transcript, paths: [%s], tags: [kubecon]}
stages:
  - {type: text}
  - {type: tag, dictionary: builtin}
sinks:
  - {name: archive, type: parquet, path: %s, max_age: 1s}
  - {name: tags, type: nats_tags}
`, filepath.Join(dir, "data"), natsAddr, talks, filepath.Join(dir, "archive")))
	daemon, stderr := startRecap(t, cfg)
	defer daemon.Process.Kill()

	var nc *nats.Conn
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		if nc, err = nats.Connect("nats://" + natsAddr); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon's NATS listener did not come up: %v\n%s", err, tail(stderr.String()))
		}
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("recap.tag.prometheus")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()

	// Sidecar first, then the transcript, the way a sync tool would drop them.
	os.WriteFile(filepath.Join(talks, "prometheus-deep-dive.meta.yaml"),
		[]byte("title: Prometheus Deep Dive\nspeakers: [Ada Field, Lin Notes]\nevent: KubeCon EU 2026\ndate: 2026-04-02\nurl: https://example.org/talks/prometheus\n"), 0o644)
	os.WriteFile(filepath.Join(talks, "prometheus-deep-dive.vtt"), []byte(deepDiveVTT), 0o644)
	dropped := time.Now()

	msg, err := sub.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no message on recap.tag.prometheus: %v\n%s", err, tail(stderr.String()))
	}
	t.Logf("first tagged entry after %s", time.Since(dropped).Round(time.Millisecond))
	var e talkEntry
	if err := json.Unmarshal(msg.Data, &e); err != nil {
		t.Fatalf("message is not a JSON entry: %v: %s", err, msg.Data)
	}
	if e.Kind != "transcript" || e.Source != "talks" || e.Title != "Prometheus Deep Dive" || e.URL != "https://example.org/talks/prometheus" {
		t.Errorf("entry: %+v", e)
	}
	if e.Attrs["event"] != "KubeCon EU 2026" || e.StartMs == nil || *e.StartMs != 1000 || e.Lang != "en" {
		t.Errorf("attrs/timing/lang: %v %v %q", e.Attrs, e.StartMs, e.Lang)
	}
	for _, want := range []string{"prometheus", "thanos", "observability", "kubecon"} {
		if !contains(e.Tags, want) {
			t.Errorf("tag %s missing: %v", want, e.Tags)
		}
	}
	if strings.Contains(e.Text, "<") {
		t.Errorf("markup in text: %q", e.Text)
	}
	second, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatalf("the second prometheus segment did not arrive: %v", err)
	}

	// recap tail --since replays history; against the embedded server via -c.
	tailCmd := exec.Command(recapBin, "tail", "--tag", "prometheus", "--tag", "thanos", "--since", "1h", "-c", cfg)
	out, _ := tailCmd.StdoutPipe()
	var tailErr strings.Builder
	tailCmd.Stderr = &tailErr
	if err := tailCmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	var replayed []talkEntry
	for len(replayed) < 2 && lines.Scan() {
		var r talkEntry
		if err := json.Unmarshal(lines.Bytes(), &r); err != nil {
			t.Fatalf("tail printed a non-JSON line: %q", lines.Text())
		}
		replayed = append(replayed, r)
	}
	if len(replayed) != 2 || replayed[0].ID != e.ID || replayed[1].ID != idOf(t, second.Data) {
		t.Fatalf("replay: %d entries (%v); want the two prometheus segments once each\n%s", len(replayed), replayed, tailErr.String())
	}
	tailCmd.Process.Signal(syscall.SIGINT)
	if err := tailCmd.Wait(); err != nil {
		t.Errorf("recap tail did not exit 0 on SIGINT: %v\n%s", err, tailErr.String())
	}

	// --format text for people, with --nats; closing the pipe ends it cleanly.
	textCmd := exec.Command(recapBin, "tail", "--tag", "prometheus", "--since", "1h", "--format", "text", "--nats", "nats://"+natsAddr)
	textOut, _ := textCmd.StdoutPipe()
	textCmd.Start()
	first, _ := bufio.NewReader(textOut).ReadString('\n')
	if !strings.Contains(first, "transcript/talks") || !strings.Contains(first, "Prometheus Deep Dive") {
		t.Errorf("text format line: %q", first)
	}
	textOut.Close()
	waitDone := make(chan error, 1)
	go func() { waitDone <- textCmd.Wait() }()
	select {
	case err := <-waitDone:
		if err != nil {
			t.Errorf("recap tail did not exit 0 when its output closed: %v", err)
		}
	case <-time.After(15 * time.Second):
		textCmd.Process.Kill()
		t.Errorf("recap tail kept running after its output closed")
	}

	daemon.Process.Signal(syscall.SIGTERM)
	if err := daemon.Wait(); err != nil {
		t.Errorf("daemon exit: %v\n%s", err, tail(stderr.String()))
	}
	// The transcript is archived too, with its segments' timings.
	db := duck(t)
	n := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM read_parquet('%s', hive_partitioning=true) WHERE kind = 'transcript' AND start_ms IS NOT NULL`, archiveGlob(filepath.Join(dir, "archive"))))
	if n < 2 {
		t.Errorf("%d transcript rows archived", n)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func idOf(t *testing.T, data []byte) string {
	t.Helper()
	var e talkEntry
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}
