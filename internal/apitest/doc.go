// Package apitest is a test-only helper: it checks every management API
// response a test's server gives against docs/openapi.yaml with a real
// OpenAPI library (status, content type and body schema), so that the
// document cannot drift from the handlers.
package apitest
