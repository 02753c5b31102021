package patch

import (
	"github.com/scimbridge/scimbridge/internal/scim/filter"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// The filter package functions this package uses, in one place.

func parsePatchPath(s string) (filter.PatchPath, error) { return filter.ParsePatchPath(s) }

func resolvePatchPath(rt *schema.ResourceType, p filter.PatchPath) (filter.PatchPath, error) {
	return filter.ResolvePatchPath(rt, p)
}

func isUnknownAttribute(err error) bool { return filter.IsUnknownAttribute(err) }

func evalFilter(rt *schema.ResourceType, e filter.Expr, doc map[string]any) bool {
	return filter.Eval(rt, e, doc)
}
