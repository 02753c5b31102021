package scimapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/web"
)

// MaxLoggedBody caps each body kept in the request log; longer bodies are
// cut there and marked truncated.
const MaxLoggedBody = 64 << 10

// Which requests the request log keeps: those addressed to a directory
// that exists, once the surface knows it. That is every request whose
// token authenticated for the directory in its path, and every 401 or 403
// for a directory that exists (a wrong, expired or revoked token: the
// first thing to look for when an IdP reports failures). Requests naming
// no existing directory are not logged anywhere, so nobody can write into
// a directory's log without at least knowing its id. The Authorization
// header is never logged; the logger's directory.Redactor redacts bodies
// before they are stored.

// logTag is how the routes tell the recording middleware, which runs
// outside them, which directory a request belongs to.
type logTag struct {
	dir    string
	bodies directory.RequestBodies // the directory's setting
}

type logTagKey struct{}

// tagRequest marks r as belonging to directory d in the request log.
func tagRequest(r *http.Request, d directory.Directory) {
	if t, ok := r.Context().Value(logTagKey{}).(*logTag); ok {
		t.dir, t.bodies = d.ID, d.Settings.RequestLogBodies
	}
}

// tagRefused marks r, refused, as belonging to directory dir.
func tagRefused(r *http.Request, dir string) {
	if t, ok := r.Context().Value(logTagKey{}).(*logTag); ok {
		t.dir = dir
	}
}

// tagAuthFailure tags a request whose authentication failed with err when
// the failure is a 401, 403 or 429 and the directory exists (one read, on
// the failure path only).
func (h *Handler) tagAuthFailure(r *http.Request, dir string, err error) {
	if h.RequestLog == nil {
		return
	}
	if directory.KindOf(err) == directory.KindForbidden {
		tagRefused(r, dir)
		return
	}
	if _, err := h.Service.Read().GetDirectory(r.Context(), dir); err == nil {
		tagRefused(r, dir)
	}
}

// recordRequests captures each request's body, status and response body
// (each capped at MaxLoggedBody) and hands tagged requests to the request
// logger, which queues them without blocking.
func (h *Handler) recordRequests(next http.Handler) http.Handler {
	if h.RequestLog == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := h.Service.IDs.Now()
		tag := &logTag{}
		r2 := r.WithContext(context.WithValue(r.Context(), logTagKey{}, tag))
		var body *capturedBody
		if r.Body != nil {
			body = &capturedBody{ReadCloser: r.Body}
			r2.Body = body
		}
		rec := &capturedResponse{ResponseWriter: w, tag: tag, read: isRead(r)}
		next.ServeHTTP(rec, r2)
		if tag.dir == "" {
			return
		}
		e := directory.RequestLog{
			DirectoryID:       tag.dir,
			OccurredAt:        start,
			Method:            r.Method,
			Path:              r.URL.RequestURI(),
			Status:            rec.status,
			Duration:          h.Service.IDs.Now().Sub(start),
			ResponseBody:      string(rec.buf),
			ResponseTruncated: rec.truncated,
			RequestID:         web.RequestID(r.Context()),
			UserAgent:         r.UserAgent(),
			RemoteAddr:        remoteHost(r.RemoteAddr),
		}
		if e.Status == 0 {
			e.Status = http.StatusOK
		}
		if body != nil {
			e.RequestBody, e.RequestTruncated = string(body.buf), body.truncated
		}
		h.RequestLog.Record(e, tag.bodies)
	})
}

// isRead reports whether the request log counts r as a read when it
// succeeds (directory.RequestLogger.Record: GET, HEAD, POST …/.search).
func isRead(r *http.Request) bool {
	return r.Method == http.MethodGet || r.Method == http.MethodHead ||
		(r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/.search"))
}

func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// capturedBody keeps the first MaxLoggedBody bytes the handler reads.
type capturedBody struct {
	io.ReadCloser
	buf       []byte
	truncated bool
}

func (b *capturedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.keep(p[:n])
	return n, err
}

func (b *capturedBody) keep(p []byte) {
	room := MaxLoggedBody - len(b.buf)
	if len(p) > room {
		p, b.truncated = p[:room], true
	}
	b.buf = append(b.buf, p...)
}

// capturedResponse records the status and the first MaxLoggedBody bytes of
// the response. It does not copy the body of a successful read whose
// directory keeps reads as metadata only (the default): the request log
// would throw it away.
type capturedResponse struct {
	http.ResponseWriter
	status    int
	buf       []byte
	truncated bool
	tag       *logTag
	read      bool
}

// keepBody reports whether the response body is to be captured, once the
// status is known.
func (c *capturedResponse) keepBody() bool {
	return !c.read || c.status >= 400 || c.tag.bodies == directory.RequestBodiesAll
}

func (c *capturedResponse) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capturedResponse) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if !c.keepBody() {
		return c.ResponseWriter.Write(p)
	}
	room := MaxLoggedBody - len(c.buf)
	keep := p
	if len(keep) > room {
		keep, c.truncated = keep[:room], true
	}
	c.buf = append(c.buf, keep...)
	return c.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *capturedResponse) Unwrap() http.ResponseWriter { return c.ResponseWriter }
