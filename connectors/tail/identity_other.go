//go:build !unix

package tail

import "os"

// fileIdentity falls back to the path where inodes are not available.
func fileIdentity(path string, _ os.FileInfo) string { return "path:" + path }
