// Package e2e runs the real recap binary against real components: an embedded
// or external nats-server, feeds served over HTTP, and DuckDB reading the
// Parquet archive. It is its own Go module so the cgo DuckDB driver never
// reaches the recap binary.
package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

var (
	binDir    string
	recapBin  string
	repoRoot  string
	natsOnce  sync.Once
	natsBin   string
	natsError error
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		var err error
		if repoRoot, err = filepath.Abs(".."); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if binDir, err = os.MkdirTemp("", "recap-e2e-bin-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(binDir)
		recapBin = filepath.Join(binDir, "recap")
		// Built exactly as users get it: pure Go, no cgo.
		if out, err := goBuild(recapBin, "./cmd/recap", "CGO_ENABLED=0"); err != nil {
			fmt.Fprintf(os.Stderr, "build recap: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}())
}

func goBuild(out, pkg string, env ...string) ([]byte, error) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), env...)
	return cmd.CombinedOutput()
}

// natsServerBinary builds nats-server from the module recap already requires,
// so the external-server tests need nothing installed by hand.
func natsServerBinary(t *testing.T) string {
	t.Helper()
	natsOnce.Do(func() {
		natsBin = filepath.Join(binDir, "nats-server")
		if out, err := goBuild(natsBin, "github.com/nats-io/nats-server/v2", "CGO_ENABLED=0"); err != nil {
			natsError = fmt.Errorf("build nats-server: %v\n%s", err, out)
		}
	})
	if natsError != nil {
		t.Fatal(natsError)
	}
	return natsBin
}

// result is a finished recap command.
type result struct {
	code           int
	stdout, stderr string
}

// recap runs the binary to completion (bounded by timeout).
func recap(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, recapBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("recap %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("recap %v did not finish within %s\nstderr:\n%s", args, timeout, tail(res.stderr))
	}
	return res
}

// mustRun runs recap and fails the test unless it exits 0.
func mustRun(t *testing.T, timeout time.Duration, args ...string) result {
	t.Helper()
	res := recap(t, timeout, args...)
	if res.code != 0 {
		t.Fatalf("recap %v exited %d\nstderr:\n%s", args, res.code, tail(res.stderr))
	}
	return res
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 60 {
		lines = append([]string{"…"}, lines[len(lines)-60:]...)
	}
	return strings.Join(lines, "\n")
}

// writeConfig writes a recap configuration into dir and returns its path.
func writeConfig(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "recap.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// duck opens an in-memory DuckDB.
func duck(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// archiveGlob is the DESIGN.md query path for an archive directory.
func archiveGlob(dir string) string { return filepath.ToSlash(filepath.Join(dir, "**", "*.parquet")) }

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// counts returns COUNT(*) and COUNT(DISTINCT id) of the archive.
func counts(t *testing.T, db *sql.DB, archive string) (rows, distinct int64) {
	t.Helper()
	q := fmt.Sprintf(`SELECT count(*), count(DISTINCT id) FROM read_parquet('%s', hive_partitioning=true)`, archiveGlob(archive))
	if err := db.QueryRow(q).Scan(&rows, &distinct); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows, distinct
}

// freePort returns a loopback address nobody listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func netDial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, time.Second) }
