// Package archtest holds a test that enforces the dependency rules between
// scimbridge's packages (docs/architecture.md) with `go list -deps`.
package archtest
