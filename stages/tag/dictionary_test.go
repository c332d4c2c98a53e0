package tag

import (
	"slices"
	"testing"

	"github.com/recap-dev/recap/pipeline"
)

func builtin(t *testing.T) *dictionary {
	t.Helper()
	d := newDictionary()
	if err := d.load(builtinFile, builtinDictionary); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestBuiltinDictionaryCoversCNCFProjects(t *testing.T) {
	d := builtin(t)
	// CNCF graduated and incubating projects (2025), and the topics recap promises.
	for _, tag := range []string{
		"argo", "cert-manager", "cilium", "cloudevents", "containerd", "coredns", "cri-o", "crossplane",
		"cubefs", "dapr", "envoy", "etcd", "falco", "flux", "fluentd", "fluent-bit", "harbor", "helm",
		"in-toto", "istio", "jaeger", "keda", "knative", "kubernetes", "kyverno", "linkerd",
		"open-policy-agent", "prometheus", "rook", "spiffe", "spire", "tikv", "tuf", "vitess",
		"artifact-hub", "backstage", "buildpacks", "chaos-mesh", "cloud-custodian", "cni", "contour",
		"cortex", "dragonfly", "emissary-ingress", "grpc", "karmada", "keycloak", "kserve", "kubeedge",
		"kubeflow", "kubescape", "kubevela", "kubevirt", "kuma", "lima", "litmus", "longhorn", "meshery",
		"metal3", "microcks", "nats", "notary-project", "opencost", "openfeature", "openfga", "openkruise",
		"opentelemetry", "openyurt", "operator-framework", "strimzi", "thanos", "volcano", "wasmcloud",
		"m3", "ceph", "gateway-api",
		"observability", "autoscaling", "security", "storage", "networking", "gitops",
		"platform-engineering", "serverless", "wasm", "ai-ml", "ci-cd",
	} {
		if d.terms[tag] == nil {
			t.Errorf("no entry for %q", tag)
		}
	}
	t.Logf("%d tags", len(d.terms))
}

func TestBuiltinDictionaryImpliesKnownTags(t *testing.T) {
	d := builtin(t)
	for _, tag := range d.tags() {
		for _, implied := range d.terms[tag].implies {
			if d.terms[implied] == nil {
				t.Errorf("%s implies %q, which has no entry", tag, implied)
			}
		}
	}
}

// Every keyword of the builtin dictionary, standing alone, adds its tag: a
// typo'd or unmatchable alias shows up here.
func TestBuiltinKeywordsMatchThemselves(t *testing.T) {
	d := builtin(t)
	st := mustStage(t, "{}")
	for _, tag := range d.tags() {
		term := d.terms[tag]
		for _, k := range slices.Concat(term.aliases, term.exact) {
			if got := tagsOf(t, st, pipeline.Entry{Text: "(" + k + ")"}); !slices.Contains(got, tag) {
				t.Errorf("%q: tags %v lack %q", k, got, tag)
			}
		}
	}
}

func TestImpliesIsTransitiveAndSkipsDisabled(t *testing.T) {
	d := newDictionary()
	err := d.load("a.yaml", []byte(`
tags:
  - {tag: a, aliases: [a], implies: [b]}
  - {tag: b, aliases: [b], implies: [c, a]}
  - {tag: c, aliases: [c], implies: [d]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.expand("a"); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("expand(a) = %v", got)
	}
	if err := d.load("b.yaml", []byte("tags: [{tag: c, disabled: true}]")); err != nil {
		t.Fatal(err)
	}
	if got := d.expand("a"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("after disabling c, expand(a) = %v", got)
	}
}
