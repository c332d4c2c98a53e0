package tag

import (
	"context"
	"strings"
	"testing"

	"github.com/recap-dev/recap/pipeline"
)

// benchOptions is a realistic stage: the builtin dictionary and a few rules.
const benchOptions = `
rules:
  - {tag: observability, any: [prometheus, thanos, cortex, m3]}
  - {tag: autoscaling, regex: '(?i)\bauto-?scal'}
  - {tag: k8s-security, all: [kubernetes, security], none: [job, hiring]}
  - {tag: from-cncf, any: [cncf], fields: [url, source]}
`

func benchmarkChunk(b *testing.B, entries []pipeline.Entry) {
	st := mustStage(b, benchOptions)
	c := &pipeline.Chunk{Entries: entries}
	var size int64
	for _, e := range entries {
		size += int64(len(e.Title) + len(e.Text))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for i := range c.Entries {
			c.Entries[i].Tags = c.Entries[i].Tags[:0]
		}
		if err := st.Process(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(entries))/b.Elapsed().Seconds(), "entries/s")
}

func BenchmarkTagLogLines(b *testing.B) {
	lines := logLines(1000)
	entries := make([]pipeline.Entry, len(lines))
	for i, l := range lines {
		entries[i] = pipeline.Entry{Kind: pipeline.KindLog, Source: "app", Text: l, Categories: []string{"info"}}
	}
	benchmarkChunk(b, entries)
}

func BenchmarkTagBlogPost(b *testing.B) {
	text := strings.Repeat(blogPost+"\n\n"+blogFiller, 4)
	benchmarkChunk(b, []pipeline.Entry{{
		Kind: pipeline.KindFeedItem, Source: "recaps", Title: "KubeCon recap: what we learned running observability at scale",
		URL: "https://example.org/blog/kubecon-recap", Text: text,
	}})
}

const blogFiller = `The keynote stage was crowded with talks about platform engineering and how internal
developer portals are changing the way teams ship software. Several speakers showed how they moved
from hand-written deployment scripts to GitOps with Argo CD, and one team explained how Karpenter
and KEDA together cut their compute bill by a third while keeping latency flat during the holiday
peak. In the hallway track people compared notes on eBPF-based networking with Cilium, on whether
sidecarless service mesh is ready for production, and on the state of software supply chain
security after the latest round of CVEs. We left with a long list of things to try at home.`
