// Package simulate drives a SCIM 2.0 service provider (RFC 7643, RFC 7644)
// the way a named identity provider does: its test-connection probe, its
// user and group bodies, its PATCH dialect, its membership batching and its
// deprovisioning habits, following the request sequences recorded in
// docs/simulate.md. It keeps a model of what the server should now hold and
// verifies it with reads at the end.
//
// It is a pure SCIM client built on net/http: it imports nothing else from
// this module, and it only ever talks to the endpoint it is given.
package simulate
