package tag

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

// newStage builds a tag stage from the YAML text of its options, as the
// second stage of dir/recap.yaml.
func newStage(t testing.TB, dir, options string) (*tagger, error) {
	t.Helper()
	file := filepath.Join(dir, "recap.yaml")
	opts, err := config.NewOptions(file, "stages[1]", options)
	if err != nil {
		t.Fatalf("options: %v", err)
	}
	st, err := New(&pipeline.Env{Name: "tag", Type: "tag", Options: opts, Config: &config.Config{File: file}})
	if err != nil {
		return nil, err
	}
	return st.(*tagger), nil
}

func mustStage(t testing.TB, options string) *tagger {
	t.Helper()
	st, err := newStage(t, t.TempDir(), options)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return st
}

// tagsOf runs e through st and returns its tags.
func tagsOf(t testing.TB, st *tagger, e pipeline.Entry) []string {
	t.Helper()
	c := &pipeline.Chunk{Entries: []pipeline.Entry{e}}
	if err := st.Process(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c.Entries[0].Tags
}

const blogPost = `Last quarter we rebuilt our platform's telemetry. Every cluster runs Prometheus
with a Thanos sidecar for long-term retention, the multi-tenant team still queries an old
Cortex install, and the network team keeps its flow metrics in M3. Logs leave the nodes
through Fluent Bit, traffic enters through the Kubernetes Gateway API, cert-manager renews
every certificate, and Rook runs the Ceph cluster that backs our persistent volumes.`

func TestBlogPostGetsProjectAndTopicTags(t *testing.T) {
	st := mustStage(t, "dictionary: builtin")
	got := tagsOf(t, st, pipeline.Entry{Title: "How we run observability at scale", Text: blogPost})
	for _, want := range []string{"prometheus", "thanos", "cortex", "m3", "fluent-bit", "gateway-api",
		"cert-manager", "rook", "ceph", "kubernetes", "observability", "storage"} {
		if !slices.Contains(got, want) {
			t.Errorf("tags %v lack %q", got, want)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("tags %v are not in sorted order", got)
	}
}

func TestBuiltinKeywords(t *testing.T) {
	st := mustStage(t, "{}")
	cases := []struct {
		text      string
		want, not []string
	}{
		{text: "shipping logs with fluentbit", want: []string{"fluent-bit", "observability"}},
		{text: "the fluent-bit DaemonSet", want: []string{"fluent-bit"}},
		{text: "Fluent Bit 3.0 released", want: []string{"fluent-bit"}},
		{text: "FLUENT BIT", want: []string{"fluent-bit"}},
		{text: "running K8s at home", want: []string{"kubernetes"}},
		{text: "k8s", want: []string{"kubernetes"}},
		{text: "see k8s.io/docs", want: []string{"kubernetes"}},
		{text: "OPA policies", want: []string{"open-policy-agent", "security"}},
		{text: "the Open Policy Agent", want: []string{"open-policy-agent"}},
		{text: "cert manager and cert-manager", want: []string{"cert-manager"}},
		{text: "M3DB cluster", want: []string{"m3", "observability"}},
		{text: "prometheus-operator", want: []string{"prometheus"}},
		{text: "Thanos.", want: []string{"thanos"}},
		{text: "CVE-2024-3094 in xz", want: []string{"security"}},
		{text: "HPA scaled the deployment", want: []string{"autoscaling"}},
		{text: "Argo CD syncs", want: []string{"argo-cd", "argo", "gitops"}},
		{text: "Kubernetes Gateway API", want: []string{"kubernetes", "gateway-api", "networking"}},
		{text: "metal³ provisions hosts", want: []string{"metal3"}},

		{text: "prometheusx and xprometheus", not: []string{"prometheus"}},
		{text: "playlist.m3u8", not: []string{"m3"}},
		{text: "M3U8 streams", not: []string{"m3"}},
		{text: "a thanosian plan", not: []string{"thanos"}},
		{text: "kubernetesish", not: []string{"kubernetes"}},
		{text: "the helm of the boat", not: []string{"helm"}},
		{text: "Helm chart", want: []string{"helm"}},
		{text: "we publish helm charts", want: []string{"helm"}},
		{text: "helm install nginx", want: []string{"helm"}},
		{text: "a harbor full of boats", not: []string{"harbor"}},
		{text: "images pushed to Harbor", want: []string{"harbor"}},
		{text: "a flux of neutrons", not: []string{"flux"}},
		{text: "Flux reconciles", want: []string{"flux", "gitops"}},
		{text: "a rook on the chessboard", not: []string{"rook"}},
		{text: "the envoy arrived", not: []string{"envoy"}},
		{text: "a church spire", not: []string{"spire"}},
		{text: "a litmus test", not: []string{"litmus"}},
		{text: "flew to lima", not: []string{"lima"}},
		{text: "the backstage crew", not: []string{"backstage"}},
		{text: "Apple's m3 laptop", not: []string{"m3"}},
	}
	for _, c := range cases {
		checkTags(t, c.text, tagsOf(t, st, pipeline.Entry{Text: c.text}), c.want, c.not)
	}
}

func TestWhitespaceRunsInKeywords(t *testing.T) {
	st := mustStage(t, "{}")
	got := tagsOf(t, st, pipeline.Entry{Title: "Gateway \n\t API  and  Fluent\r\nBit", Text: "helm\u00a0chart"})
	for _, want := range []string{"gateway-api", "fluent-bit"} {
		if !slices.Contains(got, want) {
			t.Errorf("tags %v lack %q", got, want)
		}
	}
	// Only ASCII whitespace separates words; a no-break space does not.
	if slices.Contains(got, "helm") {
		t.Errorf("tags %v have helm", got)
	}
}

func TestNestedKeywordsAreAllFound(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "nested.yaml", `
tags:
  - {tag: whole, aliases: [kubernetes gateway api]}
  - {tag: inner, aliases: [gateway api]}
  - {tag: first, aliases: [kubernetes]}
  - {tag: fluent, aliases: [fluent]}
  - {tag: fluent-bit, aliases: [fluent bit]}
  - {tag: bit, aliases: [bit]}
`)
	st, err := newStage(t, dir, "{dictionary: none, dictionary_files: [nested.yaml]}")
	if err != nil {
		t.Fatal(err)
	}
	got := tagsOf(t, st, pipeline.Entry{Text: "The Kubernetes Gateway API, shipped by Fluent Bit."})
	want := []string{"bit", "first", "fluent", "fluent-bit", "inner", "whole"}
	if !slices.Equal(got, want) {
		t.Errorf("tags %v, want %v", got, want)
	}
}

func TestRules(t *testing.T) {
	st := mustStage(t, `
dictionary: none
rules:
  - {tag: observability, any: [prometheus, thanos, cortex, m3]}
  - {tag: autoscaling, regex: '(?i)\bauto-?scal'}
  - {tag: k8s-security, all: [kubernetes, security], none: [job, hiring]}
  - {tag: from-cncf, any: [cncf], fields: [url, source]}
  - {tag: release, any: [release], fields: [categories]}
  - {tag: Gateway API, any: [gateway  api]}
  - {tag: debug-level, regex: '^debug$', fields: [categories]}
`)
	cases := []struct {
		entry pipeline.Entry
		want  []string
	}{
		{pipeline.Entry{Text: "Thanos compactor"}, []string{"observability"}},
		{pipeline.Entry{Title: "M3 at Uber"}, []string{"observability"}},
		{pipeline.Entry{Text: "the m3u8 playlist"}, nil},
		{pipeline.Entry{Text: "Cluster Auto-Scaling in practice"}, []string{"autoscaling"}},
		{pipeline.Entry{Text: "Kubernetes security hardening"}, []string{"k8s-security"}},
		{pipeline.Entry{Text: "Kubernetes security job opening"}, nil},
		{pipeline.Entry{Title: "Hiring!", Text: "kubernetes security"}, nil},
		{pipeline.Entry{Text: "kubernetes only"}, nil},
		{pipeline.Entry{Text: "CNCF news"}, nil},
		{pipeline.Entry{URL: "https://www.cncf.io/blog/x", Text: "news"}, []string{"from-cncf"}},
		{pipeline.Entry{Source: "cncf", Text: "news"}, []string{"from-cncf"}},
		{pipeline.Entry{Text: "release notes"}, nil},
		{pipeline.Entry{Categories: []string{"news", "Release"}}, []string{"release"}},
		{pipeline.Entry{Text: "Gateway\tAPI v1.2"}, []string{"gateway-api"}},
		{pipeline.Entry{Categories: []string{"info", "debug"}}, []string{"debug-level"}},
		{pipeline.Entry{Tags: []string{"kubecon"}, Text: "prometheus"}, []string{"kubecon", "observability"}},
	}
	for _, c := range cases {
		got := tagsOf(t, st, c.entry)
		if !slices.Equal(got, c.want) {
			t.Errorf("%+v: tags %v, want %v", c.entry, got, c.want)
		}
	}
}

func TestRuleErrorsAreLocated(t *testing.T) {
	cases := []struct{ options, want string }{
		{"rules: [{tag: x, any: [a], fields: [body]}]", `stages[1].rules[0].fields[0]: unknown field "body"`},
		{"rules: [{tag: x, regex: '(unclosed'}]", `stages[1].rules[0].regex: error parsing regexp`},
		{"rules: [{tag: '--', any: [a]}]", `stages[1].rules[0].tag: "--" is not a usable tag`},
		{"rules: [{tag: x, none: [a]}]", `stages[1].rules[0]: a rule needs any, all or regex`},
		{"rules: [{tag: x, any: ['  ']}]", `stages[1].rules[0].any[0]: empty keyword`},
		{"rules: [{tag: x, any: [a], colour: red}]", `stages[1].rules[0].colour: unknown key`},
		{"rules: [{any: [a]}]", `stages[1].rules[0].tag: required key is missing`},
		{"fields: [title, body]", `stages[1].fields[1]: unknown field "body"`},
		{"fields: []", `stages[1].fields: name at least one field`},
		{"dictionary: huge", `stages[1].dictionary: want builtin or none, got "huge"`},
		{"dictionary_files: [missing.yaml]", `stages[1].dictionary_files[0]: open `},
	}
	located := regexp.MustCompile(`recap\.yaml:\d+:\d+: `)
	for _, c := range cases {
		_, err := newStage(t, t.TempDir(), c.options)
		if err == nil {
			t.Errorf("%s: no error", c.options)
			continue
		}
		if _, ok := err.(config.Errors); !ok {
			t.Errorf("%s: error is a %T, want config.Errors", c.options, err)
		}
		if msg := err.Error(); !strings.Contains(msg, c.want) || !located.MatchString(msg) {
			t.Errorf("%s:\n got  %s\n want recap.yaml:LINE:COL: ...%s...", c.options, msg, c.want)
		}
	}
}

func TestRuleErrorsAreAllListed(t *testing.T) {
	_, err := newStage(t, t.TempDir(), "rules: [{tag: x, none: [a]}, {tag: y, regex: '['}]")
	if errs, ok := err.(config.Errors); !ok || len(errs) != 2 {
		t.Fatalf("got %v, want two errors", err)
	}
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDictionaryFilesExtendReplaceDisable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "extra.yaml", `
tags:
  - {tag: thanos, aliases: [thanos query], implies: [long-term-storage]}
  - {tag: helm, replace: true, aliases: [helm]}
  - {tag: ceph, disabled: true}
  - {tag: observability, disabled: true}
  - {tag: Our Platform, aliases: [acme platform], exact: [ACME]}
`)
	writeFile(t, dir, "more.yaml", `
tags:
  - {tag: ceph, aliases: [rados]}
`)
	st, err := newStage(t, dir, "dictionary_files: [extra.yaml, more.yaml]")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		text      string
		want, not []string
	}{
		{text: "thanos", want: []string{"thanos", "long-term-storage"}, not: []string{"observability"}},
		{text: "Prometheus", want: []string{"prometheus"}, not: []string{"observability"}},
		{text: "the helm of the boat", want: []string{"helm"}},
		{text: "Ceph", not: []string{"ceph"}},
		{text: "RADOS", want: []string{"ceph"}},
		{text: "Rook cluster", want: []string{"rook", "storage"}, not: []string{"ceph"}},
		{text: "the ACME Platform", want: []string{"our-platform"}},
		{text: "acme", not: []string{"our-platform"}},
	}
	for _, c := range cases {
		checkTags(t, c.text, tagsOf(t, st, pipeline.Entry{Text: c.text}), c.want, c.not)
	}
}

func TestBadDictionaryFiles(t *testing.T) {
	cases := []struct{ text, want string }{
		{"tags: [", "bad.yaml:1: YAML syntax"},
		{"tags:\n  - {tag: x, aliases: [a], colour: red}\n", "bad.yaml:2:28: tags[0].colour: unknown key"},
		{"tags:\n  - {tag: x, aliases: a}\n", "bad.yaml:2:23: tags[0].aliases: expected a list"},
		{"tags:\n  - {tag: x}\n", `bad.yaml:2:5: tags[0]: tag "x" needs aliases or exact keywords`},
		{"tags:\n  - {tag: '!!', aliases: [a]}\n", `bad.yaml:2:11: tags[0].tag: "!!" is not a usable tag`},
		{"tags:\n  - {tag: x, aliases: [a, ' ']}\n", "bad.yaml:2:27: tags[0].aliases[1]: empty keyword"},
		{"tags:\n  - {tag: x, aliases: [a]}\n  - {tag: X, aliases: [b]}\n", `bad.yaml:3:11: tags[1].tag: tag "x" is already listed as tags[0]`},
		{"tags:\n  - {tag: x, aliases: [a], implies: ['']}\n", `bad.yaml:2:38: tags[0].implies[0]: "" is not a usable tag`},
		{"tags:\n  - tag: prometheus\n    disabled: true\n    aliases: [p]\n", "bad.yaml:3:15: tags[0].disabled: a disabled entry takes no aliases"},
		{"tags:\n  - {tag: prometheus, replace: true, implies: [x]}\n", `bad.yaml:2:5: tags[0]: tag "prometheus" needs aliases or exact`},
		{"other: 1\n", "bad.yaml:1:1: other: unknown key"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		writeFile(t, dir, "bad.yaml", c.text)
		_, err := newStage(t, dir, "dictionary_files: [bad.yaml]")
		if err == nil {
			t.Errorf("%q: no error", c.text)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, filepath.Join(dir, c.want)) {
			t.Errorf("%q:\n got  %s\n want %s", c.text, msg, filepath.Join(dir, c.want))
		}
	}
}

func TestConcurrentProcess(t *testing.T) {
	st := mustStage(t, `rules: [{tag: errors, regex: '(?i)\berror\b'}, {tag: db, any: [postgres, mysql]}]`)
	lines := logLines(500)
	want := make([][]string, len(lines))
	for i, l := range lines {
		want[i] = tagsOf(t, st, pipeline.Entry{Text: l})
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for round := range 20 {
				c := &pipeline.Chunk{Entries: make([]pipeline.Entry, len(lines))}
				for i, l := range lines {
					c.Entries[i].Text = l
				}
				if err := st.Process(context.Background(), c); err != nil {
					t.Error(err)
					return
				}
				for i := range c.Entries {
					if !slices.Equal(c.Entries[i].Tags, want[i]) {
						t.Errorf("worker %d round %d line %d: tags %v, want %v", w, round, i, c.Entries[i].Tags, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestProcessAllocatesNothingWithoutMatches(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not deterministic under the race detector; run without -race")
	}
	st := mustStage(t, `rules: [{tag: errors, regex: '(?i)\berror\b'}, {tag: db, any: [postgres, mysql]}]`)
	c := &pipeline.Chunk{Entries: []pipeline.Entry{{Title: "request served", Text: "GET /api/v1/orders/1234 200 12.5ms user=alice"}}}
	allocs := testing.AllocsPerRun(100, func() {
		if err := st.Process(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 || len(c.Entries[0].Tags) != 0 {
		t.Errorf("%v allocations and tags %v, want none", allocs, c.Entries[0].Tags)
	}
}

// logLines returns n realistic log messages of about 120 bytes.
func logLines(n int) []string {
	templates := []string{
		"GET /api/v1/orders/%d 200 %d.%dms user=alice trace_id=4bf92f3577b34da6a3ce929d0e0e4736 ua=\"Mozilla/5.0 (X11; Linux x86_64)\"",
		"level=info msg=\"reconciled deployment\" controller=deployment namespace=shop name=checkout-%d generation=%d took=%dms",
		"connection pool exhausted for postgres://db-%d.internal:5432/orders (max_conns=50), waiting %d.%ds before retrying the query",
		"prometheus scrape of target http://10.0.%d.%d:9100/metrics failed: Get: context deadline exceeded after %dms, marking target down",
		"kubelet: successfully pulled image registry.example.com/shop/cart:v1.%d.%d in %dms (image size 48213311 bytes) on node pool-b",
		"user session %d refreshed access token for client web-frontend; new token expires in %d minutes, granted scopes=%d",
		"error: upstream checkout-svc returned 503 Service Unavailable after %d retries; circuit breaker open for %d.%ds",
		"cache miss ratio %d.%d%% on shard %d exceeds the 20%% threshold, warming hot keys from the latest snapshot in object storage",
	}
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(templates[i%len(templates)], i*7%1000, i%97, i%13)
	}
	return lines
}

// checkTags reports tags of text that are missing from want or present from not.
func checkTags(t *testing.T, text string, got, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%q: tags %v lack %q", text, got, w)
		}
	}
	for _, n := range not {
		if slices.Contains(got, n) {
			t.Errorf("%q: tags %v have %q", text, got, n)
		}
	}
}
