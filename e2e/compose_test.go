package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
)

// docker-compose.yml is for users (no Docker engine runs here): it must load
// with the compose spec's own parser, publish ports on loopback only, and hand
// recap a configuration that validates.
func TestDockerComposeFile(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithWorkingDirectory(repoRoot), cli.WithName("recap"))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(t.Context())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	nats, err := project.GetService("nats")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(nats.Command, " "), "--jetstream") {
		t.Errorf("nats service without JetStream: %v", nats.Command)
	}
	recapSvc, err := project.GetService("recap")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := recapSvc.DependsOn["nats"]; !ok {
		t.Errorf("recap does not wait for nats")
	}
	for _, svc := range project.Services {
		for _, p := range svc.Ports {
			if p.HostIP != "127.0.0.1" {
				t.Errorf("service %s publishes port %d on %q, not loopback", svc.Name, p.Target, p.HostIP)
			}
		}
	}
	var configFile string
	for _, v := range recapSvc.Volumes {
		if v.Target == "/etc/recap/recap.yaml" {
			configFile = v.Source
		}
		if v.Type == "bind" {
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("bind mount source missing: %v", err)
			}
		}
	}
	if configFile == "" {
		t.Fatalf("no configuration mounted at /etc/recap/recap.yaml: %+v", recapSvc.Volumes)
	}
	res := recap(t, 30*time.Second, "validate", "-c", configFile)
	if res.code != 0 {
		t.Errorf("the compose configuration does not validate:\n%s", res.stderr)
	}
}

// The example configuration `make run` uses validates.
func TestExampleConfigValidates(t *testing.T) {
	res := recap(t, 30*time.Second, "validate", "-c", filepath.Join(repoRoot, "examples", "recap.yaml"))
	if res.code != 0 || !strings.Contains(res.stdout, "ok") {
		t.Fatalf("examples/recap.yaml: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}
