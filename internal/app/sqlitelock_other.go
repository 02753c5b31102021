//go:build !unix

package app

import "os"

// lockFile does nothing where flock is not available: the one-process
// rule is then the operator's to keep.
func lockFile(*os.File) error { return nil }
