// Package docs embeds the documents the program serves or shows, so that
// each exists once in the repository: the management API's OpenAPI
// description (served at GET /api/v1/openapi.yaml and checked against the
// handlers by the management API's tests) and the identity providers'
// setup guides under idp/ (shown in the Admin Portal).
package docs

import "embed"

//go:embed openapi.yaml
var openAPI []byte

//go:embed idp/*.md
var idpGuides embed.FS

// OpenAPI returns docs/openapi.yaml. The slice is shared: do not modify it.
func OpenAPI() []byte { return openAPI }

// IdPGuide returns the setup guide docs/idp/<file>, e.g. "okta.md".
func IdPGuide(file string) ([]byte, error) { return idpGuides.ReadFile("idp/" + file) }
