package patch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Request is a decoded PatchOp message (RFC 7644 §3.5.2), before
// normalisation.
type Request struct {
	// Schemas is the message's "schemas" list as sent. It is not checked:
	// clients send it missing, empty or with other URNs, and the endpoint
	// already says what the body is.
	Schemas []string
	// Operations are the operations in request order.
	Operations []Operation
}

// Operation is one element of "Operations" as sent.
type Operation struct {
	Op    string // as sent: "add", "Replace", …; Normalize matches it case-insensitively
	Path  string // "" when absent or null
	Value any    // decoded with UseNumber; nil when absent or null
}

// Decode parses a PatchOp request body. Member names ("schemas",
// "Operations", "op", "path", "value") are matched case-insensitively, as
// RFC 7643 §2.1 asks for attribute names.
//
// Errors, all *schema.Error:
//   - invalidSyntax: the body is not one JSON object, "Operations" is not an
//     array (a single operation object is accepted as a one-element array),
//     an operation is not an object, "op" is missing or not a string, or a
//     member name appears twice in different cases;
//   - invalidPath: "path" is not a string;
//   - invalidValue: "Operations" is missing or null.
//
// An empty "Operations" array is not an error: it decodes to a Request with
// no operations, which Normalize turns into an empty Plan, i.e. a successful
// no-op PATCH. The Microsoft SCIM validator sends such a body; answering it
// with the unchanged resource is the stable, harmless choice (checklist 70).
//
// The number of operations is not limited here; Normalize enforces
// Options.MaxOperations. The HTTP layer limits the body size.
func Decode(body []byte) (Request, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return Request{}, schema.Errorf(schema.ErrInvalidSyntax, "the request body is not valid JSON: %s", jsonErrDetail(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Request{}, schema.Errorf(schema.ErrInvalidSyntax, "the request body holds data after the PatchOp object")
	}
	msg, ok := raw.(map[string]any)
	if !ok {
		return Request{}, schema.Errorf(schema.ErrInvalidSyntax, "the request body must be a JSON object (a PatchOp message)")
	}
	fields, err := foldKeys(msg, "the PatchOp message")
	if err != nil {
		return Request{}, err
	}
	var req Request
	switch s := fields["schemas"].(type) {
	case []any:
		for _, e := range s {
			if str, ok := e.(string); ok {
				req.Schemas = append(req.Schemas, str)
			}
		}
	case string:
		req.Schemas = []string{s}
	}
	var ops []any
	switch o := fields["operations"].(type) {
	case nil:
		return Request{}, schema.Errorf(schema.ErrInvalidValue, `the PatchOp message has no "Operations"`)
	case []any:
		ops = o
	case map[string]any:
		ops = []any{o}
	default:
		return Request{}, schema.Errorf(schema.ErrInvalidSyntax, `"Operations" must be an array of operations`)
	}
	req.Operations = make([]Operation, 0, len(ops))
	for i, e := range ops {
		op, err := decodeOperation(e)
		if err != nil {
			return Request{}, atOp(i, err)
		}
		req.Operations = append(req.Operations, op)
	}
	return req, nil
}

func decodeOperation(e any) (Operation, error) {
	m, ok := e.(map[string]any)
	if !ok {
		return Operation{}, schema.Errorf(schema.ErrInvalidSyntax, "an operation must be a JSON object")
	}
	fields, err := foldKeys(m, "an operation")
	if err != nil {
		return Operation{}, err
	}
	var op Operation
	switch o := fields["op"].(type) {
	case string:
		op.Op = o
	case nil:
		return Operation{}, schema.Errorf(schema.ErrInvalidSyntax, `the operation has no "op"`)
	default:
		return Operation{}, schema.Errorf(schema.ErrInvalidSyntax, `"op" must be a string`)
	}
	switch p := fields["path"].(type) {
	case string:
		op.Path = p
	case nil:
	default:
		return Operation{}, schema.Errorf(schema.ErrInvalidPath, `"path" must be a string`)
	}
	op.Value = fields["value"]
	return op, nil
}

// foldKeys returns m with lower-cased keys, rejecting names that differ only
// in case (which one the client meant is unknowable).
func foldKeys(m map[string]any, what string) (map[string]any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if _, dup := out[lk]; dup {
			return nil, schema.Errorf(schema.ErrInvalidSyntax, "%s has the member %q more than once (names are case-insensitive)", what, k)
		}
		out[lk] = v
	}
	return out, nil
}

// jsonErrDetail shortens encoding/json errors for a client-facing detail.
func jsonErrDetail(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error() + " (at byte " + strconv.FormatInt(se.Offset, 10) + ")"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of input"
	}
	return err.Error()
}
