//go:build !linux

package replicatest

import "os/exec"

// dieWithParent does nothing where the kernel cannot tie a child's life to
// its parent's: a test binary killed without its cleanups leaves its
// replicas running there.
func dieWithParent(*exec.Cmd) {}
