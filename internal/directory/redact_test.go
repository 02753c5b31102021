package directory_test

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
)

func TestRedact(t *testing.T) {
	tok := "scimb_dt_" + strings.Repeat("aB3-_", 8)
	key := "scimb_ak_Zz09-_xy"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"no secrets", `{"userName":"a@b.c"}`, `{"userName":"a@b.c"}`},
		{"password member", `{"userName":"a","password":"hunter2"}`, `{"password":"[REDACTED]","userName":"a"}`},
		{"password any case and depth", `{"x":{"PassWord":"p1"},"l":[{"password":{"nested":"p2"}}]}`,
			`{"l":[{"password":"[REDACTED]"}],"x":{"PassWord":"[REDACTED]"}}`},
		{"patch path password", `{"Operations":[{"op":"replace","path":"password","value":"p3"}]}`,
			`{"Operations":[{"op":"replace","path":"password","value":"[REDACTED]"}]}`},
		{"patch path urn password", `{"Operations":[{"op":"Replace","Path":"urn:ietf:params:scim:schemas:core:2.0:User:password","Value":"p4"}]}`,
			`{"Operations":[{"Path":"urn:ietf:params:scim:schemas:core:2.0:User:password","Value":"[REDACTED]","op":"Replace"}]}`},
		{"patch path-less", `{"Operations":[{"op":"replace","value":{"password":"p5","active":true}}]}`,
			`{"Operations":[{"op":"replace","value":{"active":true,"password":"[REDACTED]"}}]}`},
		{"other path keeps value", `{"Operations":[{"op":"replace","path":"active","value":false}]}`,
			`{"Operations":[{"op":"replace","path":"active","value":false}]}`},
		{"token anywhere", `{"note":"` + tok + ` and ` + key + `"}`, `{"note":"[REDACTED] and [REDACTED]"}`},
		{"token in text", "Bearer " + tok, "Bearer [REDACTED]"},
		{"cut json with password", `{"userName":"a","password":"hunt`, "[REDACTED: a body that is not a JSON document and mentions a password is not logged]"},
		{"invalid utf8 and nul", "a\xffb\x00c", "a\uFFFDb\uFFFDc"},
		{"quotes and backslashes escaped, kept as sent", `{"userName":"a","meta":{"version":"W/\"1\"","note":"C:\\x"}}`,
			`{"userName":"a","meta":{"version":"W/\"1\"","note":"C:\\x"}}`},
		{"escaped password member", `{"version":"W/\"1\"","pass\u0077ord":"p6"}`, `{"password":"[REDACTED]","version":"W/\"1\""}`},
		{"escaped-backslash then u-escape", `{"version":"W/\"1\"","x":"\\u0070"}`, `{"version":"W/\"1\"","x":"\\u0070"}`},
		{"token behind an escape after a quote escape", `{"v":"W/\"1\"","note":"\u0073cimb_dt_abc"}`, `{"note":"[REDACTED]","v":"W/\"1\""}`},
		{"numbers kept", `{"n":12345678901234567890,"password":"x"}`, `{"n":12345678901234567890,"password":"[REDACTED]"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := directory.Redactor{}.Body(tc.in)
			if got != tc.want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// A literal secret with a quote or a backslash is found behind \" and \\
// too, though a body with only these escapes is not decoded (Text decodes
// escapes to look for secrets).
func TestRedactLiteralWithQuote(t *testing.T) {
	r := directory.Redactor{Literals: []string{`k"e\y`}}
	got := r.Body(`{"v":"W/\"1\"","note":"k\"e\\y"}`)
	if strings.Contains(got, `e\\y`) || !strings.Contains(got, directory.Redacted) {
		t.Errorf("Body left the literal: %q", got)
	}
}

func TestRedactSecretsInPath(t *testing.T) {
	got := directory.Redactor{}.Text("/scim/v2/dir_x/Users?filter=userName%20eq%20%22scimb_dt_abc-_9%22")
	if strings.Contains(got, "abc-_9") || !strings.Contains(got, directory.Redacted) {
		t.Errorf("Redactor.Text left the token: %q", got)
	}
}

func TestRequestLoggerDropsWhenFull(t *testing.T) {
	l := &directory.RequestLogger{QueueSize: 2, IDs: directory.IDs{Now: time.Now, Rand: rand.Reader}}
	for i := 0; i < 5; i++ {
		l.Record(directory.RequestLog{DirectoryID: "dir_x", Method: "POST", Status: 201}, "") // must not block
	}
	if got := l.Dropped(); got != 3 {
		t.Errorf("Dropped() = %d, want 3", got)
	}
	var nilLogger *directory.RequestLogger
	nilLogger.Record(directory.RequestLog{}, "") // a nil logger records nothing
	big := &directory.RequestLogger{QueueBytes: 10, IDs: directory.IDs{Now: time.Now, Rand: rand.Reader}}
	big.Record(directory.RequestLog{RequestBody: strings.Repeat("x", 11)}, "")
	if got := big.Dropped(); got != 1 {
		t.Errorf("over the byte budget: Dropped() = %d, want 1", got)
	}
}

// TestRedactEscapedAndEverySecret: keys and secrets hidden behind JSON or
// URL escapes, and every secret format (including the bootstrap API key,
// whatever it looks like), are redacted in bodies, paths and user agents.
func TestRedactEscapedAndEverySecret(t *testing.T) {
	const apiKey = "bootstrap-key-0123456789abcdefghijklmnop"
	r := directory.Redactor{Literals: []string{apiKey}}
	secrets := []string{
		"scimb_dt_" + strings.Repeat("aB3-_", 8),
		"scimb_ak_Zz09-_xy",
		"scimb_pl_Link0123_-abc",
		"scimb_ps_Session0123",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+/=",
		apiKey,
	}
	bodies := []struct{ name, in string }{
		{"escaped password key", `{"userName":"a","pass\u0077ord":"hunter2"}`},
		{"escaped key in patch", `{"Operations":[{"op":"replace","value":{"\u0070assword":"hunter2"}}]}`},
		{"escaped patch path", `{"Operations":[{"op":"replace","path":"pass\u0077ord","value":"hunter2"}]}`},
		{"escaped password in text", `pass\u0077ord=hunter2`},
	}
	for _, tc := range bodies {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Body(tc.in); strings.Contains(got, "hunter2") {
				t.Errorf("Body(%q) = %q: the password is still there", tc.in, got)
			}
		})
	}
	for _, s := range secrets {
		rest := s[3:] // what must not survive: everything after the first characters
		escaped := `\u00` + strconvHex(s[0]) + s[1:]
		for _, tc := range []struct{ name, got string }{
			{"body", r.Body(`{"note":"x ` + s + ` y"}`)},
			{"body json-escaped prefix", r.Body(`{"note":"` + escaped + `"}`)},
			{"text json-escaped prefix", r.Text(`note ` + escaped)},
			{"non-json body", r.Body("Bearer " + s)},
			{"path", r.Text("/scim/v2/dir_x/Users?filter=userName%20eq%20%22" + s + "%22")},
			{"path percent-escaped prefix", r.Text("/scim/v2/dir_x/Users?x=%" + strconvHex(s[0]) + s[1:])},
			{"user agent", r.Text("okta/1.0 (" + s + ")")},
		} {
			if strings.Contains(tc.got, rest) || !strings.Contains(tc.got, directory.Redacted) {
				t.Errorf("%s with %q: got %q", tc.name, s, tc.got)
			}
		}
	}
}

func strconvHex(c byte) string {
	const hex = "0123456789abcdef"
	return string([]byte{hex[c>>4], hex[c&15]})
}
