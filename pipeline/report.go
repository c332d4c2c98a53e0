package pipeline

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reporter is where every component's counts and errors go: a log line, a
// Prometheus metric, and the recent-errors list on the status page.
type Reporter struct {
	log *slog.Logger
	reg *prometheus.Registry

	Emitted     *prometheus.CounterVec // entries taken in, by source
	Published   *prometheus.CounterVec // chunks stored in RECAP_RAW, by source
	Errors      *prometheus.CounterVec // by component and reason
	BufferBytes *prometheus.GaugeVec   // by source and tier (memory, disk)
	Paused      *prometheus.GaugeVec   // 1 while a source waits for buffer space
	Staged      prometheus.Counter     // entries through the stages
	Stored      *prometheus.CounterVec // entries stored by a sink
	Duplicates  *prometheus.CounterVec // entries a sink skipped as already stored

	mu     sync.Mutex
	recent []ReportedError
	counts map[string]int64 // "component/reason" → count, for the closing summary
}

// ReportedError is one error as shown on the status page.
type ReportedError struct {
	Time      time.Time
	Component string
	Reason    string
	Message   string
}

const recentErrors = 100

// NewReporter creates the metrics of one recap process.
func NewReporter(log *slog.Logger) *Reporter {
	r := &Reporter{log: log, reg: prometheus.NewRegistry(), counts: map[string]int64{}}
	r.Emitted = r.counter("recap_entries_emitted_total", "Entries taken in by a source.", "source")
	r.Published = r.counter("recap_chunks_published_total", "Chunks stored in RECAP_RAW.", "source")
	r.Errors = r.counter("recap_errors_total", "Errors by component and reason; each was also logged.", "component", "reason")
	r.Staged = prometheus.NewCounter(prometheus.CounterOpts{Name: "recap_stage_entries_total", Help: "Entries enriched and tagged by the stages."})
	r.reg.MustRegister(r.Staged)
	r.Stored = r.counter("recap_sink_entries_total", "Entries made durable by a sink.", "sink")
	r.Duplicates = r.counter("recap_sink_duplicates_total", "Entries a sink skipped because it already stored them.", "sink")
	r.BufferBytes = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "recap_buffer_bytes", Help: "Bytes of sealed chunks waiting to be published."}, []string{"source", "tier"})
	r.Paused = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "recap_source_paused", Help: "1 while a source is paused because its buffer is full."}, []string{"source"})
	r.reg.MustRegister(r.BufferBytes, r.Paused, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return r
}

func (r *Reporter) counter(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	r.reg.MustRegister(c)
	return c
}

// Registry is the Prometheus registry served on /metrics.
func (r *Reporter) Registry() *prometheus.Registry { return r.reg }

// Fail records an error of component: it is logged, counted under reason and kept
// for the status page. args are extra slog attributes for the log line.
func (r *Reporter) Fail(component, reason string, err error, args ...any) {
	r.Errors.WithLabelValues(component, reason).Inc()
	r.log.Error(err.Error(), append([]any{"component", component, "reason", reason}, args...)...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[component+"/"+reason]++
	if len(r.recent) == recentErrors {
		copy(r.recent, r.recent[1:])
		r.recent = r.recent[:recentErrors-1]
	}
	r.recent = append(r.recent, ReportedError{time.Now().UTC(), component, reason, err.Error()})
}

// Recent returns the latest errors, oldest first.
func (r *Reporter) Recent() []ReportedError {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ReportedError(nil), r.recent...)
}

// Summary lists error counts as "component/reason: n" lines for the --once summary.
func (r *Reporter) Summary() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.counts))
	for k, n := range r.counts {
		out = append(out, fmt.Sprintf("%s: %d", k, n))
	}
	return out
}
