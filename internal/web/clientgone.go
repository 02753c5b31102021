package web

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// ClientGoneError is a request that ended on the client's side: its body
// could not be read (the client stalled past the server's read timeout or
// closed the connection), or the response could not be completed after it
// had started (a write timed out or the connection was closed). It is the
// client's doing, not the server's: surfaces log it as a warning, and
// write no error when the response has started (a second status line would
// be "superfluous", and the client would not see it).
type ClientGoneError struct {
	Err     error
	Started bool // the response had started: nothing more can be written
}

func (e *ClientGoneError) Error() string { return "client timed out or disconnected: " + e.Err.Error() }

func (e *ClientGoneError) Unwrap() error { return e.Err }

// ReadBody reads r's body, at most limit bytes. Beyond the limit the error
// is an *http.MaxBytesError; any other read error means the body did not
// arrive, and is a *ClientGoneError.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, &ClientGoneError{Err: err}
	}
	return body, nil
}

// ClientGone reports whether err is a *ClientGoneError and, if so, logs
// it once at warn level (never at error: the server is fine). started
// says the response had already started, so the caller must write
// nothing more; otherwise the caller answers 408 Request Timeout, which a
// client that merely stalled may still read.
func ClientGone(logger *slog.Logger, r *http.Request, err error) (gone, started bool) {
	var cg *ClientGoneError
	if !errors.As(err, &cg) {
		return false, false
	}
	logger.WarnContext(r.Context(), "client timed out or disconnected", "request_id", RequestID(r.Context()),
		"method", r.Method, "path", r.URL.Path, "response_started", cg.Started, "error", cg.Err)
	return true, cg.Started
}

// startedWriter remembers whether the response has started.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (s *startedWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		s.started = true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *startedWriter) Write(b []byte) (int, error) {
	s.started = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *startedWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Header limits. The surfaces refuse a request line and headers over
// MaxHeaderBytes in their own error format (LimitHeaders); the HTTP server
// reads up to ServerMaxHeaderBytes before it answers a plain-text 431
// itself, which bounds the memory one connection's headers can take.
const (
	MaxHeaderBytes       = 64 << 10
	ServerMaxHeaderBytes = 256 << 10
)

// HeaderTooLargeError is a request whose request line and headers (a long
// URL, typically a long filter) exceed the limit: 431 Request Header
// Fields Too Large (RFC 6585 §5).
type HeaderTooLargeError struct {
	Limit int
}

func (e *HeaderTooLargeError) Error() string {
	return fmt.Sprintf("the request line and headers are larger than the limit of %d bytes; shorten the URL (a long filter can be sent in the body of a POST to .search)", e.Limit)
}

// headerBytes approximates the size of r's request line and headers as
// they came on the wire.
func headerBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	n += len("Host: ") + len(r.Host) + 2
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n
}

// LimitHeaders refuses, through ew, a request whose request line and
// headers are larger than limit bytes, with a *HeaderTooLargeError. The
// HTTP server's own MaxHeaderBytes must be larger than limit (it answers
// plain text), so that requests between the two limits get the surface's
// error format.
func LimitHeaders(limit int, ew ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if headerBytes(r) > limit {
				ew(w, r, &HeaderTooLargeError{Limit: limit})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
