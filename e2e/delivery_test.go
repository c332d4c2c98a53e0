package e2e

import (
	"bufio"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// appendLogLines writes JSON log lines with seq from..from+n-1.
func appendLogLines(t *testing.T, path string, from, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	levels := []string{"debug", "info", "warn", "error"}
	for i := from; i < from+n; i++ {
		fmt.Fprintf(w, `{"ts":"2026-11-26T03:%02d:%02d.%06dZ","level":"%s","service":"checkout","seq":%d,"msg":"order %d placed in checkout for user u%05d"}`+"\n",
			i/60000%60, i/1000%60, i%1000000, levels[i%len(levels)], i, i, i%50000)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func logConfig(dir, natsURL, logFile string, extra string) string {
	nats := ""
	if natsURL != "" {
		nats = "nats: {url: " + natsURL + "}\n"
	}
	return fmt.Sprintf(`data_dir: %s
%shttp: {listen: ""}
buffer: {chunk_bytes: 256KiB, flush_interval: 200ms}
sources:
  - {name: app, type: tail, paths: [%s], format: json, poll_interval: 50ms}
stages:
  - type: tag
    rules:
      - {tag: checkout, any: [checkout]}
sinks:
  - {name: archive, type: parquet, path: %s, max_age: 1s, max_rows: 40000}
%s`, filepath.Join(dir, "data"), nats, logFile, filepath.Join(dir, "archive"), extra)
}

// checkExactlyOnce asserts the archive holds seq 0..n-1, each exactly once.
func checkExactlyOnce(t *testing.T, db *sql.DB, archive string, n int) {
	t.Helper()
	rows, distinct := counts(t, db, archive)
	seqs := queryInt(t, db, fmt.Sprintf(`SELECT count(DISTINCT attrs['seq']) FROM read_parquet('%s', hive_partitioning=true)`, archiveGlob(archive)))
	minSeq := queryInt(t, db, fmt.Sprintf(`SELECT min(CAST(attrs['seq'] AS BIGINT)) FROM read_parquet('%s', hive_partitioning=true)`, archiveGlob(archive)))
	maxSeq := queryInt(t, db, fmt.Sprintf(`SELECT max(CAST(attrs['seq'] AS BIGINT)) FROM read_parquet('%s', hive_partitioning=true)`, archiveGlob(archive)))
	if rows != int64(n) || distinct != int64(n) || seqs != int64(n) || minSeq != 0 || maxSeq != int64(n-1) {
		t.Fatalf("COUNT(*) = %d, COUNT(DISTINCT id) = %d, distinct seq = %d (%d..%d); want %d of each, 0..%d",
			rows, distinct, seqs, minSeq, maxSeq, n, n-1)
	}
}

// startRecap starts the daemon; the caller stops it.
func startRecap(t *testing.T, cfg string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(recapBin, "run", "-c", cfg)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// kill -9 of a running recap at random moments during a 300,000-line ingest,
// then --once: every line is in the archive exactly once.
func TestKill9NothingLostNothingDuplicated(t *testing.T) {
	const lines = 300_000
	dir := t.TempDir()
	logFile := filepath.Join(dir, "app.log")
	cfg := writeConfig(t, dir, logConfig(dir, "", logFile, ""))
	archive := filepath.Join(dir, "archive")
	seed := uint64(time.Now().UnixNano())
	t.Logf("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	const rounds = 4
	for round := range rounds {
		// Each round brings new lines, so every kill lands while there is work.
		appendLogLines(t, logFile, round*lines/rounds, lines/rounds)
		cmd, stderr := startRecap(t, cfg)
		delay := time.Duration(200+rng.IntN(1500)) * time.Millisecond
		time.Sleep(delay)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		t.Logf("round %d: killed after %s (%d log lines)", round, delay, strings.Count(stderr.String(), "\n"))
	}
	mustRun(t, 5*time.Minute, "run", "-c", cfg, "--once")
	checkExactlyOnce(t, duck(t), archive, lines)
}

// An external nats-server process is stopped for several seconds mid-ingest
// and restarted on the same store; recap rides it out and exits 0 on SIGTERM.
func TestExternalNATSOutage(t *testing.T) {
	natsServer := natsServerBinary(t)
	dir := t.TempDir()
	store := filepath.Join(dir, "nats-store")
	addr := freePort(t)
	host, port, _ := strings.Cut(addr, ":")
	startNATS := func() *exec.Cmd {
		cmd := exec.Command(natsServer, "-a", host, "-p", port, "-js", "-sd", store)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "nats-server to listen", func() bool {
			c, err := netDial(addr)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		return cmd
	}
	natsProc := startNATS()
	defer func() { natsProc.Process.Kill(); natsProc.Wait() }()

	logFile := filepath.Join(dir, "app.log")
	appendLogLines(t, logFile, 0, 100_000)
	cfg := writeConfig(t, dir, logConfig(dir, "nats://"+addr, logFile, ""))
	recapProc, stderr := startRecap(t, cfg)
	defer recapProc.Process.Kill()

	time.Sleep(1500 * time.Millisecond)
	natsProc.Process.Signal(syscall.SIGKILL)
	natsProc.Wait()
	appendLogLines(t, logFile, 100_000, 50_000) // written while NATS is down
	time.Sleep(5 * time.Second)
	natsProc = startNATS()
	appendLogLines(t, logFile, 150_000, 50_000)

	archive := filepath.Join(dir, "archive")
	db := duck(t)
	waitFor(t, 3*time.Minute, "all 200,000 lines in the archive", func() bool {
		files, _ := filepath.Glob(filepath.Join(archive, "kind=*", "date=*", "*.parquet"))
		if len(files) == 0 {
			return false
		}
		rows, _ := counts(t, db, archive)
		return rows >= 200_000
	})
	recapProc.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- recapProc.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("recap did not exit 0 on SIGTERM: %v\n%s", err, tail(stderr.String()))
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("recap did not stop within 90s of SIGTERM\n%s", tail(stderr.String()))
	}
	for _, want := range []string{"NATS connection lost", "buffering and retrying", "NATS reconnected"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the outage left no %q in the log:\n%s", want, tail(stderr.String()))
		}
	}
	checkExactlyOnce(t, db, archive, 200_000)
}
