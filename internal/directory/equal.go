package directory

import (
	"encoding/json"
	"reflect"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// equalDocs reports whether two documents hold the same data. Numbers are
// compared by their text.
func equalDocs(a, b schema.Resource) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
