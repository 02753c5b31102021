// Package docs embeds the documents the program serves, so that each
// exists once in the repository: the management API's OpenAPI description
// (served at GET /api/v1/openapi.yaml and checked against the handlers by
// the management API's tests). The identity providers' developer guides
// under idp/ are for reading in the repository; the Admin Portal shows its
// own admin-facing guides (internal/portal/guides).
package docs

import _ "embed"

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns docs/openapi.yaml. The slice is shared: do not modify it.
func OpenAPI() []byte { return openAPI }
