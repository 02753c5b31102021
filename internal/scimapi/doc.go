// Package scimapi serves the SCIM 2.0 protocol (RFC 7644) for every
// directory at /scim/v2/{directory_id}/…: the discovery endpoints
// (ServiceProviderConfig, ResourceTypes, Schemas; RFC 7644 §4), Users and
// Groups (§3.3–3.6), searches with GET and POST .search (§3.4), and Bulk
// (§3.7).
//
// It is liberal in what it accepts from real identity providers (bearer,
// bare and Basic credentials; application/json or application/scim+json
// bodies; unknown query parameters) and strict in what it returns: every
// response, errors included, is application/scim+json, and every error is
// the Error message of RFC 7644 §3.12, rendered by one function
// (Handler.writeError).
//
// The package turns HTTP into calls on directory.Service and renders what
// comes back; it holds no state of its own beyond documents it builds once.
package scimapi
