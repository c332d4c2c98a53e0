package config

import (
	"errors"
	"fmt"
	"strings"
)

// Error is one problem in a configuration file, located by file, line and key path
// so that a user can jump straight to it.
type Error struct {
	File   string
	Line   int
	Column int
	Path   string // key path such as sources[1].interval
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors collects every problem found, so `recap validate` can list them all at once.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// ErrorsOf lists the problems in err: the Errors it is or wraps, else err as
// one Error. Constructors use it to go on checking after a decode error, so
// that one run reports everything.
func ErrorsOf(err error) Errors {
	if err == nil {
		return nil
	}
	var es Errors
	if errors.As(err, &es) {
		return es
	}
	var e *Error
	if errors.As(err, &e) {
		return Errors{e}
	}
	return Errors{{Msg: err.Error()}}
}

// Err returns nil when es is empty, so callers can return it as an error.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}
