package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

// tagList collects repeated --tag flags.
type tagList []string

func (t *tagList) String() string { return strings.Join(*t, ",") }

func (t *tagList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		tag := pipeline.NormalizeTag(part)
		if tag == "" {
			return fmt.Errorf("%q is not a tag", part)
		}
		*t = append(*t, tag)
	}
	return nil
}

func cmdTail(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("tail", stderr)
	var tags tagList
	fs.Var(&tags, "tag", "tag to follow (repeat or comma-separate for several)")
	since := fs.Duration("since", 0, "replay this much history first, e.g. 1h or 30m")
	format := fs.String("format", "json", "output: json (one entry per line) or text (for people)")
	url := fs.String("nats", "", "NATS server URL (default: from -c, else $NATS_URL, else nats://127.0.0.1:4222)")
	file := fs.String("c", "", "recap configuration to take the NATS connection from")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if len(tags) == 0 || fs.NArg() > 0 || (*format != "json" && *format != "text") || *since < 0 {
		fmt.Fprintln(stderr, "recap tail: need --tag T (and --format json|text, --since ≥ 0)")
		return exitUsage
	}
	var cfg *config.Config
	if *file != "" {
		p, err := pipeline.Load(*file, pipeline.Options{})
		if err != nil {
			printConfigErrors(stderr, err)
			return exitUsage
		}
		cfg = p.Config
	}
	nc, err := pipeline.DialForTail(*url, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "recap tail:", err)
		return exitFailure
	}
	defer nc.Close()
	// A closed pipe (recap tail | head) must end us with a clean exit, not SIGPIPE.
	signal.Ignore(syscall.SIGPIPE)
	if err := pipeline.Follow(ctx, nc, pipeline.FollowOptions{Tags: tags, Since: *since, Format: *format}, stdout); err != nil {
		fmt.Fprintln(stderr, "recap tail:", err)
		return exitFailure
	}
	return exitOK
}
