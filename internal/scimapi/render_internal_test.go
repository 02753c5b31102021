package scimapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAppendJSONStringMatchesEncodingJSON checks the string fast path of
// the encoder against encoding/json with HTML escaping off.
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	var all []byte
	for c := 0; c < 0x80; c++ {
		all = append(all, byte(c))
	}
	for _, s := range []string{"", "plain", string(all), "é€😀", "a\u2028b\u2029c", "bad\xffutf8\xc3", "<&>", "\x00\x1f\x7f", "\xed\xa0\x80"} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
}
