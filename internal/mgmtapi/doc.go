// Package mgmtapi serves the management REST API under /api/v1 that the app
// developer uses to create organizations, directories and directory
// tokens. Requests and responses are JSON; errors are
// {"error": {"code", "message", "details"}}; every route needs an API key.
package mgmtapi
