// Package filter parses SCIM filter expressions (RFC 7644 §3.4.2.2) and
// PATCH paths (RFC 7644 §3.5.2) into our own AST, resolves them against a
// resource type's schema, and evaluates them in memory. The SQL compiler in
// sqlstore consumes the same AST; the two are checked against each other by a
// differential test.
package filter
