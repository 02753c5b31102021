package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// HandlerFunc is an HTTP handler that returns its error instead of writing
// it; the surface's ErrorWriter renders it.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ErrorWriter renders an error returned by a HandlerFunc.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Adapt turns h into an http.Handler that renders errors with ew. An
// error returned after the response has started (typically a write that
// failed because the client timed out or went away) reaches ew as a
// *ClientGoneError with Started set, and ew must not write.
func Adapt(ew ErrorWriter, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &startedWriter{ResponseWriter: w}
		if err := h(sw, r); err != nil {
			if sw.started {
				var cg *ClientGoneError
				if errors.As(err, &cg) {
					cg.Started = true
				} else {
					err = &ClientGoneError{Err: err, Started: true}
				}
			}
			ew(sw, r, err)
		}
	})
}

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the request id the RequestID middleware assigned.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithRequestID assigns each request an id (kept from a sane X-Request-Id
// header, else random), echoes it in the response and puts it in the
// context.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if len(id) == 0 || len(id) > 64 || !printable(id) {
			var b [12]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// StatusRecorder remembers the status and size of a response.
type StatusRecorder struct {
	http.ResponseWriter
	Status int
	Bytes  int
}

// WriteHeader records the status.
func (s *StatusRecorder) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *StatusRecorder) Write(b []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.Bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// AccessLog logs one line per request at debug level, and at warn level
// for 5xx answers. It never logs headers or bodies (they carry secrets).
// When debug is off (the default) a successful request costs a level
// check: no attributes are built. When w already is a *StatusRecorder
// (the app's metrics wrap every request in one), it is reused.
func AccessLog(logger *slog.Logger, now func() time.Time) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := now()
			rec, ok := w.(*StatusRecorder)
			if !ok {
				rec = &StatusRecorder{ResponseWriter: w}
			}
			next.ServeHTTP(rec, r)
			level := slog.LevelDebug
			if rec.Status >= 500 {
				level = slog.LevelWarn
			}
			if !logger.Enabled(r.Context(), level) {
				return
			}
			logger.Log(r.Context(), level, "http request",
				"request_id", RequestID(r.Context()), "method", r.Method, "path", r.URL.Path,
				"status", rec.Status, "bytes", rec.Bytes, "duration_ms", float64(now().Sub(start).Microseconds())/1000)
		})
	}
}

// Recover turns a panic in a handler into a 500 rendered by ew and logs
// the stack; the process keeps serving.
func Recover(logger *slog.Logger, ew ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					logger.ErrorContext(r.Context(), "panic serving request", "request_id", RequestID(r.Context()),
						"panic", v, "stack", string(debug.Stack()))
					ew(w, r, errPanic)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

type panicError struct{}

func (panicError) Error() string { return "internal error" }

var errPanic error = panicError{}

// SecurityHeaders sets headers every response should carry.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// Chain applies middleware so that the first listed runs first.
func Chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// WriteJSON writes v as JSON with the given status and content type.
func WriteJSON(w http.ResponseWriter, status int, contentType string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}
