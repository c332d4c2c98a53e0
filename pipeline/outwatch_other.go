//go:build !unix

package pipeline

import (
	"context"
	"io"
)

// cancelWhenClosed relies on the next write failing where poll is unavailable.
func cancelWhenClosed(context.Context, io.Writer, context.CancelFunc) {}
