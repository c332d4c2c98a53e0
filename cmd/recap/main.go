// Command recap ingests community recaps — feeds, talk transcripts, logs — into
// NATS JetStream, enriches and tags them, and archives them as Parquet.
//
// The handlers here stay thin: flags → config → a pipeline call. Everything
// else lives in pipeline/, stages/ and connectors/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/recap-dev/recap/config"
	"github.com/recap-dev/recap/pipeline"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes of the CLI contract.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `recap — ingest feeds, transcripts and logs into NATS JetStream and a Parquet archive

Usage:
  recap run -c FILE [--once]     run the daemon (--once: read everything once, drain, exit)
  recap validate -c FILE         check a configuration; exit 2 listing every error
  recap tail --tag T [--tag T2] [--since DURATION] [--format json|text] [--nats URL | -c FILE]
                                 print tagged entries as they arrive
  recap version                  print the version

Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "tail":
		return cmdTail(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "recap", version)
		return exitOK
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "recap: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// newFlags makes a subcommand's flag set that reports usage errors on stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("recap "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func cmdRun(ctx context.Context, args []string, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	file := fs.String("c", "", "configuration file (required)")
	once := fs.Bool("once", false, "poll every feed and read every file once, drain all stages and sinks, then exit")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "recap run: -c FILE is required")
		return exitUsage
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		fmt.Fprintln(stderr, "recap run:", err)
		return exitUsage
	}
	p, err := pipeline.Load(*file, pipeline.Options{Once: *once, Log: log})
	if err != nil {
		printConfigErrors(stderr, err)
		return exitUsage
	}
	summary, err := p.Run(ctx)
	if summary != nil && *once {
		printSummary(stderr, summary)
	}
	if err != nil {
		fmt.Fprintln(stderr, "recap:", err)
		return exitFailure
	}
	return exitOK
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("validate", stderr)
	file := fs.String("c", "", "configuration file (required)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *file == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "recap validate: -c FILE is required")
		return exitUsage
	}
	p, err := pipeline.Load(*file, pipeline.Options{})
	if err != nil {
		printConfigErrors(stderr, err)
		return exitUsage
	}
	cfg := p.Config
	fmt.Fprintf(stdout, "%s: ok (%d sources, %d stages, %d sinks)\n", *file, len(cfg.Sources), len(cfg.Stages), len(cfg.Sinks))
	return exitOK
}

func printConfigErrors(w io.Writer, err error) {
	var ce config.Errors
	if errors.As(err, &ce) {
		for _, e := range ce {
			fmt.Fprintln(w, e)
		}
		fmt.Fprintf(w, "%d error(s) in configuration\n", len(ce))
		return
	}
	fmt.Fprintln(w, err)
}

// printSummary closes a --once run with what failed, so a partial run is visible.
func printSummary(w io.Writer, s *pipeline.Summary) {
	if len(s.Errors) == 0 {
		fmt.Fprintln(w, "recap: done, no errors")
		return
	}
	fmt.Fprintf(w, "recap: done with errors (%s)\n", strings.Join(s.Errors, ", "))
	for _, e := range s.Recent {
		fmt.Fprintf(w, "  %s %s: %s\n", e.Component, e.Reason, e.Message)
	}
}
