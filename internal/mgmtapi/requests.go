package mgmtapi

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
)

// Request log page sizes.
const (
	defaultRequestPage = 50
	maxRequestPage     = 100
)

// requestQuery parses the query string of GET …/requests: page_size,
// page_token, status_class, method and failures_only.
func requestQuery(v url.Values) (directory.RequestQuery, error) {
	q := directory.RequestQuery{Limit: defaultRequestPage}
	for k := range v {
		switch k {
		case "page_size", "page_token", "status_class", "method", "failures_only":
		default:
			return q, directory.Errorf(directory.KindInvalid, "unknown query parameter %q: use page_size, page_token, status_class, method or failures_only", k)
		}
	}
	if s := v.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxRequestPage {
			return q, directory.Errorf(directory.KindInvalid, "page_size must be an integer from 1 to %d, got %q", maxRequestPage, s)
		}
		q.Limit = n
	}
	if s := v.Get("page_token"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || !strings.HasPrefix(string(b), directory.PrefixRequest+"_") || len(b) > 64 {
			return q, directory.Errorf(directory.KindInvalid, "page_token is not valid: pass the next_page_token of a previous page as is")
		}
		q.Before = string(b)
	}
	if s := v.Get("status_class"); s != "" {
		classes := map[string]int{"2xx": 200, "3xx": 300, "4xx": 400, "5xx": 500}
		lo, ok := classes[strings.ToLower(s)]
		if !ok {
			return q, directory.Errorf(directory.KindInvalid, "status_class must be 2xx, 3xx, 4xx or 5xx, got %q", s)
		}
		q.MinStatus, q.MaxStatus = lo, lo+99
	}
	if s := v.Get("method"); s != "" {
		m := strings.ToUpper(s)
		switch m {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			q.Method = m
		default:
			return q, directory.Errorf(directory.KindInvalid, "method must be GET, POST, PUT, PATCH or DELETE, got %q", s)
		}
	}
	if s := v.Get("failures_only"); s != "" {
		failures, err := strconv.ParseBool(s)
		if err != nil {
			return q, directory.Errorf(directory.KindInvalid, "failures_only must be true or false, got %q", s)
		}
		if failures && q.MinStatus < 400 {
			q.MinStatus = 400
			if q.MaxStatus != 0 && q.MaxStatus < 400 {
				q.MaxStatus = 399 // 2xx or 3xx with failures_only: nothing
			}
		}
	}
	return q, nil
}

func requestOut(e directory.RequestLog) map[string]any {
	return map[string]any{
		"object":             "scim_request",
		"id":                 e.ID,
		"directory_id":       e.DirectoryID,
		"occurred_at":        timeOrNil(e.OccurredAt),
		"method":             e.Method,
		"path":               e.Path,
		"status":             e.Status,
		"duration_ms":        float64(e.Duration.Microseconds()) / 1000,
		"request_body":       e.RequestBody,
		"response_body":      e.ResponseBody,
		"request_truncated":  e.RequestTruncated,
		"response_truncated": e.ResponseTruncated,
		"request_id":         e.RequestID,
		"user_agent":         e.UserAgent,
		"remote_addr":        e.RemoteAddr,
		"metadata_only":      e.MetadataOnly,
		"repeats":            e.Repeats,
	}
}

// listRequests serves GET /api/v1/directories/{dir_id}/requests: the
// directory's SCIM request log, newest first, cursor paginated.
func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request) error {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return directory.Errorf(directory.KindInvalid, "the query string is malformed: %v", err)
	}
	q, err := requestQuery(v)
	if err != nil {
		return err
	}
	limit := q.Limit
	q.Limit++ // one more, to know whether there is a next page
	es, err := h.Service.Read().ListRequests(r.Context(), r.PathValue("dir_id"), q)
	if err != nil {
		return err
	}
	var next any
	if len(es) > limit {
		es = es[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(es[limit-1].ID))
	}
	data := make([]any, 0, len(es))
	for _, e := range es {
		data = append(data, requestOut(e))
	}
	st, err := h.Service.Read().RequestLogStats(r.Context(), r.PathValue("dir_id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"data": data, "next_page_token": next,
		"not_recorded": map[string]any{"count": st.Dropped, "since": timeOrNil(st.DroppedSince)}})
}
