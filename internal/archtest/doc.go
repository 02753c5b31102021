// Package archtest holds the tests that enforce the dependency rules
// between scimbridge's packages: direct internal imports, third-party
// modules, test imports, and that production code never reaches a
// test-only package or module. docs/architecture.md's table is generated
// from the same rules and checked against them.
package archtest
