// Package web is the HTTP plumbing the surfaces share: handlers that return
// errors, middleware (request IDs, access log, panic recovery, body limits,
// security headers), JSON helpers and server timeouts. It knows nothing of
// SCIM or of the domain.
package web
