// Package testpg gives tests a scratch PostgreSQL schema: it is imported
// only by tests that run against the server named by
// SCIMBRIDGE_TEST_POSTGRES_URL, and skips them with a clear message when the
// variable is unset.
package testpg
