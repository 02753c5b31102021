package sqlstore

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decodeStd is what decodeDoc did before docParser: encoding/json with
// UseNumber.
func decodeStd(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	return v, err
}

// TestParseDocMatchesEncodingJSON checks that the fast decoder gives what
// encoding/json gives, or declines (and encoding/json then decides).
func TestParseDocMatchesEncodingJSON(t *testing.T) {
	docs := []string{
		`{}`,
		` { "a" : 1 } `,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen@example.com","name":{"givenName":"Barbara","familyName":"Jensen"},"active":true,"emails":[{"value":"b@example.com","primary":true,"type":"work"}],"x":null,"n":[-0.5e+10,0,12,1E3,-7]}`,
		`{"esc":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00","k\u00e9y":"v","ünï":"cödé 😀"}`,
		`{"dup":1,"dup":2}`,
		`{"deep":[[[{"a":[{}]}]],[]]}`,
		`{"nul":"a\u0000b"}`,
		// declined: encoding/json decides
		`{"lone":"\ud83d"}`,
		`{"bad":"\x"}`,
		"{\"ctl\":\"a\x01b\"}",
		"{\"utf8\":\"\xff\"}",
		`{"n":01}`,
		`{"n":1.}`,
		`{"n":-}`,
		`{"a":1,}`,
		`{"a":1} x`,
		`[1]`,
		`null`,
		`{"t":tru}`,
	}
	for _, doc := range docs {
		got, ok := parseDoc([]byte(doc))
		want, err := decodeStd([]byte(doc))
		if !ok {
			if err == nil {
				// Declining valid JSON is allowed only where encoding/json
				// rewrites what it reads (a lone surrogate, invalid UTF-8),
				// ignores what follows the object, or it is no object.
				if _, isObj := want.(map[string]any); isObj && doc != `{"lone":"\ud83d"}` && doc != "{\"utf8\":\"\xff\"}" && doc != `{"a":1} x` {
					t.Errorf("%s: declined, encoding/json reads %v", doc, want)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: accepted as %v, encoding/json refuses: %v", doc, got, err)
			continue
		}
		if diff := cmp.Diff(want, any(got)); diff != "" {
			t.Errorf("%s (-encoding/json +parseDoc):\n%s", doc, diff)
		}
	}
}
