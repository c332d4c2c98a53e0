package pipeline

import (
	"context"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/pprof"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serveHTTP starts the /metrics, /healthz and status-page listener; an empty
// address disables it. It returns a function that stops the server.
func serveHTTP(addr string, rep *Reporter, n *NATS) (func(), error) {
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(rep.Registry(), promhttp.HandlerOpts{}))
	// Profiles for `go tool pprof`; the listener is loopback unless configured otherwise.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !n.Conn.IsConnected() {
			http.Error(w, "NATS disconnected", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	started := time.Now()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		statusPage.Execute(w, status(rep, n, started))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	rep.log.Info("serving metrics and status", "url", "http://"+ln.Addr().String()+"/")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

type statusView struct {
	Uptime    string
	NATS      string
	Metrics   []statusMetric
	Errors    []ReportedError
	Generated string
}

type statusMetric struct {
	Name, Labels string
	Value        float64
}

// status renders recap's own metrics (not the Go runtime's) for people.
func status(rep *Reporter, n *NATS, started time.Time) statusView {
	v := statusView{
		Uptime:    time.Since(started).Round(time.Second).String(),
		NATS:      "connected to " + n.Conn.ConnectedUrlRedacted(),
		Errors:    rep.Recent(),
		Generated: time.Now().UTC().Format(time.RFC3339),
	}
	if n.Server != nil {
		v.NATS = "embedded server"
	}
	if !n.Conn.IsConnected() {
		v.NATS = "DISCONNECTED (entries wait in the chunk buffers)"
	}
	families, _ := rep.Registry().Gather()
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "recap_") {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			val := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			v.Metrics = append(v.Metrics, statusMetric{f.GetName(), strings.Join(labels, " "), val})
		}
	}
	sort.Slice(v.Errors, func(i, j int) bool { return v.Errors[i].Time.After(v.Errors[j].Time) })
	return v
}

var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>recap status</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}td,th{padding:2px 10px;text-align:left}tr:nth-child(even){background:#f4f4f4}</style>
</head><body>
<h1>recap</h1>
<p>up {{.Uptime}} · NATS: {{.NATS}} · <a href="/metrics">metrics</a> · generated {{.Generated}}</p>
<h2>Counters</h2>
<table><tr><th>metric</th><th>labels</th><th>value</th></tr>
{{range .Metrics}}<tr><td>{{.Name}}</td><td>{{.Labels}}</td><td>{{.Value}}</td></tr>
{{end}}</table>
<h2>Recent errors</h2>
{{if .Errors}}<table><tr><th>time (UTC)</th><th>component</th><th>reason</th><th>message</th></tr>
{{range .Errors}}<tr><td>{{.Time.Format "2006-01-02 15:04:05"}}</td><td>{{.Component}}</td><td>{{.Reason}}</td><td>{{.Message}}</td></tr>
{{end}}</table>{{else}}<p>none</p>{{end}}
</body></html>
`))
