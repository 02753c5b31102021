package mgmtapi

import (
	_ "embed"
	"net/http"
)

// openAPIYAML is the OpenAPI 3.1 document of this API. The source is
// docs/openapi.yaml; internal/mgmtapi/openapi.yaml is a byte-identical copy
// (go:embed cannot reach outside the package directory), checked by
// TestOpenAPICopyMatchesDocs.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIDocument serves GET /api/v1/openapi.yaml. Like every route it
// needs the API key.
func (h *Handler) openAPIDocument(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(openAPIYAML) // a failed write is a gone client; nothing to answer
	return nil
}
