// Command bench measures recap's log path end to end against a baseline that
// does only the unavoidable work, and prints records/s, MB/s and peak RSS of
// both. `make bench` runs it.
//
//	recap:    tail → chunk buffer → RECAP_RAW → tag stage → RECAP_ENTRIES → Parquet
//	          (embedded NATS, file storage), via `recap run --once`
//	baseline: one goroutine decoding each line with encoding/json into
//	          map[string]any and writing the archive's columns (recap's own
//	          Row type) with parquet-go's GenericWriter (zstd, fastest level)
//
// Each side runs as its own process so its peak RSS is its own.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	archive "github.com/recap-dev/recap/connectors/parquet"
	"github.com/recap-dev/recap/pipeline"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "baseline" {
		if err := baseline(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, "baseline:", err)
			os.Exit(1)
		}
		return
	}
	lines := flag.Int("lines", 1_000_000, "log lines to generate")
	recapBin := flag.String("recap", "bin/recap", "recap binary to measure")
	keep := flag.Bool("keep", false, "keep the work directory")
	flag.Parse()
	if err := run(*lines, *recapBin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(lines int, recapBin string, keep bool) error {
	work, err := os.MkdirTemp("", "recap-bench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	logDir := filepath.Join(work, "logs")
	os.MkdirAll(logDir, 0o755)
	logFile := filepath.Join(logDir, "app.log")
	size, err := generate(logFile, lines)
	if err != nil {
		return err
	}
	fmt.Printf("input: %d JSON log lines, %.1f MB (%.0f B/line) in %s\n\n", lines, float64(size)/1e6, float64(size)/float64(lines), work)

	self, err := os.Executable()
	if err != nil {
		return err
	}
	base, err := measure(exec.Command(self, "baseline", logFile, filepath.Join(work, "baseline.parquet")))
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	cfg := filepath.Join(work, "recap.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: %s
http: {listen: ""}
sources:
  - {name: app, type: tail, paths: [%s], format: json}
stages:
  - type: tag
    rules:
      - {tag: checkout, any: [checkout]}
      - {tag: slow, regex: 'duration=[0-9]{4,}ms'}
sinks:
  - {name: archive, type: parquet, path: %s}
`, filepath.Join(work, "data"), logFile, filepath.Join(work, "archive"))), 0o600)
	rc, err := measure(exec.Command(recapBin, "run", "-c", cfg, "--once", "--log-level", "warn"))
	if err != nil {
		return fmt.Errorf("recap: %w", err)
	}
	rows, err := countRows(filepath.Join(work, "archive"))
	if err != nil {
		return err
	}
	if rows != lines {
		return fmt.Errorf("recap archived %d rows, want %d", rows, lines)
	}
	report("baseline (encoding/json → GenericWriter)", base, lines, size)
	report("recap run --once (tail → NATS → tag → Parquet)", rc, lines, size)
	fmt.Printf("\nratio recap/baseline wall time: %.2f×   (target ≤ 1.25×)\n", rc.wall.Seconds()/base.wall.Seconds())
	fmt.Printf("recap peak RSS: %.0f MiB   (target < 300 MiB)\n", float64(rc.maxRSS)/(1<<20))
	return nil
}

type measurement struct {
	wall   time.Duration
	maxRSS int64 // bytes
	cpu    time.Duration
}

func measure(cmd *exec.Cmd) (measurement, error) {
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return measurement{}, err
	}
	m := measurement{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	m.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return m, nil
}

func report(name string, m measurement, lines int, size int64) {
	fmt.Printf("%-48s %7.2fs  %9.0f records/s  %6.1f MB/s  peak RSS %4.0f MiB  CPU %.1fs\n",
		name, m.wall.Seconds(), float64(lines)/m.wall.Seconds(), float64(size)/1e6/m.wall.Seconds(), float64(m.maxRSS)/(1<<20), m.cpu.Seconds())
}

// generate writes n JSON log lines of about 270 bytes: ts, level, service, seq, msg.
func generate(path string, n int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	levels := []string{"debug", "info", "info", "info", "warn", "error"}
	services := []string{"checkout", "catalog", "payments", "search", "auth"}
	t := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	var size int64
	for i := range n {
		t = t.Add(time.Duration(rng.IntN(2000)) * time.Microsecond)
		line := fmt.Sprintf(`{"ts":"%s","level":"%s","service":"%s","seq":%d,"msg":"request served method=GET path=/api/v1/items/%d status=200 duration=%dms bytes=%d user=u%05d region=eu-west-1 cache=%s referer=/catalog/page/%d trace=%016x"}`+"\n",
			t.Format(time.RFC3339Nano), levels[rng.IntN(len(levels))], services[rng.IntN(len(services))], i,
			rng.IntN(100000), rng.IntN(1500), rng.IntN(1<<20), rng.IntN(50000), []string{"hit", "miss"}[rng.IntN(2)], rng.IntN(500), rng.Uint64())
		n, err := w.WriteString(line)
		if err != nil {
			return 0, err
		}
		size += int64(n)
	}
	return size, w.Flush()
}

func baseline(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	w := parquet.NewGenericWriter[archive.Row](o, parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}))
	r := bufio.NewReaderSize(f, 1<<20)
	now := time.Now().UnixMicro()
	var offset int64
	batch := make([]archive.Row, 0, 1024)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var m map[string]any
			if jerr := json.Unmarshal(line, &m); jerr != nil {
				return jerr
			}
			row := archive.Row{ID: pipeline.StableID("app", "file", strconv.FormatInt(offset, 10)), Kind: "log", Source: "app", Origin: in, Ingested: now, Attrs: map[string]string{}}
			for k, v := range m {
				s := fmt.Sprint(v)
				switch k {
				case "ts":
					if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
						row.Published = t.UnixMicro()
					}
				case "level":
					row.Level = &s
				case "msg":
					row.Text = s
				default:
					row.Attrs[k] = s
				}
			}
			batch = append(batch, row)
			if len(batch) == cap(batch) {
				if _, err := w.Write(batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
			offset += int64(len(line))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if _, err := w.Write(batch); err != nil {
		return err
	}
	return w.Close()
}

func countRows(root string) (int, error) {
	files, err := filepath.Glob(filepath.Join(root, "kind=*", "date=*", "*.parquet"))
	if err != nil {
		return 0, err
	}
	total := 0
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return 0, err
		}
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			f.Close()
			return 0, err
		}
		total += int(pf.NumRows())
		f.Close()
	}
	return total, nil
}
