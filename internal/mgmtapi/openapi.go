package mgmtapi

import (
	"net/http"

	"github.com/scimbridge/scimbridge/docs"
)

// openAPIDocument serves GET /api/v1/openapi.yaml, the OpenAPI 3.1
// document of this API (docs/openapi.yaml, embedded by package docs).
// Like every route it needs the API key.
func (h *Handler) openAPIDocument(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(docs.OpenAPI()) // a failed write is a gone client; nothing to answer
	return nil
}
