package scimapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
	"github.com/scimbridge/scimbridge/internal/web"
)

// errorDoc is the SCIM Error message (RFC 7644 §3.12). status is the HTTP
// status as a string, as the RFC's examples and Entra ID require.
type errorDoc struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// httpError is an error of this surface that has no domain kind: a method
// not allowed, a bulk request over its limits.
type httpError struct {
	status   int
	scimType string
	detail   string
	allow    string // the Allow header of a 405
	// retryAfter is the Retry-After header of a 429 (RFC 6585 §4), in
	// seconds.
	retryAfter string
}

func (e *httpError) Error() string { return e.detail }

// invalid returns a 400 error with the given scimType.
func invalid(scimType, format string, args ...any) error {
	return &directory.Error{Kind: directory.KindInvalid, ScimType: scimType, Message: fmt.Sprintf(format, args...)}
}

// fromSchema wraps a protocol error of the scim packages as a 400 with its
// scimType, keeping it in the chain (filter.IsUnknownAttribute looks there).
func fromSchema(err error) error {
	var se *schema.Error
	if errors.As(err, &se) {
		return &directory.Error{Kind: directory.KindInvalid, ScimType: se.ScimType, Message: se.Detail, Err: err}
	}
	return err
}

// problem is an error classified for the client.
type problem struct {
	status     int
	scimType   string
	detail     string
	allow      string
	retryAfter string
	internal   bool // detail must not be shown; the error is logged
}

// classify maps an error to its status and scimType (RFC 7644 §3.12).
func classify(err error) problem {
	var he *httpError
	var mbe *http.MaxBytesError
	var de *directory.Error
	var se *schema.Error
	var hte *web.HeaderTooLargeError
	var oe *web.OverloadedError
	switch {
	case errors.As(err, &oe):
		// RFC 7644 §3.12: 503 "Service Unavailable"; Retry-After is set.
		return problem{status: http.StatusServiceUnavailable, detail: oe.Error()}
	case errors.As(err, &hte):
		// RFC 6585 §5; RFC 7644 defines no scimType for it.
		return problem{status: http.StatusRequestHeaderFieldsTooLarge, detail: hte.Error()}
	case errors.As(err, &he):
		return problem{status: he.status, scimType: he.scimType, detail: he.detail, allow: he.allow, retryAfter: he.retryAfter}
	case errors.As(err, &mbe):
		return problem{status: http.StatusRequestEntityTooLarge,
			detail: fmt.Sprintf("the request body is larger than the limit of %d bytes", mbe.Limit)}
	case errors.As(err, &de) && de.Kind != directory.KindInternal:
		p := problem{detail: de.Message, scimType: de.ScimType}
		switch de.Kind {
		case directory.KindInvalid:
			p.status = http.StatusBadRequest
			if p.scimType == "" {
				p.scimType = schema.ErrInvalidValue
			}
		case directory.KindNotFound:
			p.status, p.scimType = http.StatusNotFound, ""
		case directory.KindConflict:
			p.status, p.scimType = http.StatusConflict, schema.ErrUniqueness
		case directory.KindPrecondition:
			p.status, p.scimType = http.StatusPreconditionFailed, ""
		case directory.KindUnauthorized:
			p.status, p.scimType = http.StatusUnauthorized, ""
		case directory.KindForbidden:
			p.status, p.scimType = http.StatusForbidden, ""
		case directory.KindTooMany:
			p.status, p.scimType = http.StatusBadRequest, schema.ErrTooMany
		default:
			return problem{status: http.StatusInternalServerError, internal: true}
		}
		return p
	case errors.As(err, &se):
		return problem{status: http.StatusBadRequest, scimType: se.ScimType, detail: se.Detail}
	}
	return problem{status: http.StatusInternalServerError, internal: true}
}

// errorBody classifies err into the Error message, logging internal
// errors with the request id and hiding them from the client.
func (h *Handler) errorBody(r *http.Request, err error) (problem, errorDoc) {
	p := classify(err)
	id := web.RequestID(r.Context())
	if p.internal {
		h.logger.ErrorContext(r.Context(), "SCIM request failed", "request_id", id,
			"method", r.Method, "path", r.URL.Path, "error", err)
		p.detail = "internal error (request id " + id + ")"
	} else {
		h.logger.Log(r.Context(), slog.LevelDebug, "SCIM request refused", "request_id", id,
			"method", r.Method, "path", r.URL.Path, "status", p.status, "scim_type", p.scimType, "detail", p.detail)
	}
	return p, errorDoc{Schemas: []string{schema.ErrorURN}, Status: strconv.Itoa(p.status), ScimType: p.scimType, Detail: p.detail}
}

// writeError renders every error of this surface, and is the only place
// that does (RFC 7644 §3.12).
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if gone, started := web.ClientGone(h.logger, r, err); started {
		return
	} else if gone {
		err = &httpError{status: http.StatusRequestTimeout, detail: "the request body did not arrive in time or the connection was closed; send the request again"}
	}
	p, doc := h.errorBody(r, err)
	if p.status == http.StatusUnauthorized {
		// RFC 6750 §3: a 401 names the scheme the client should use.
		w.Header().Set("WWW-Authenticate", `Bearer realm="scimbridge"`)
	}
	if p.allow != "" {
		w.Header().Set("Allow", p.allow)
	}
	if p.retryAfter != "" {
		w.Header().Set("Retry-After", p.retryAfter)
	}
	w.Header().Del("ETag")
	w.Header().Del("Location")
	if err := writeJSON(w, p.status, doc); err != nil {
		h.logger.DebugContext(r.Context(), "writing SCIM error", "request_id", web.RequestID(r.Context()), "error", err)
	}
}
