package portal

import (
	"strings"
	"testing"
)

// TestEveryPortalChangeIsAudited: every POST route but logout is in the
// audit rules, and every rule names a route.
func TestEveryPortalChangeIsAudited(t *testing.T) {
	h := &Handler{}
	rules := auditRules()
	seen := map[string]bool{}
	for _, rt := range h.routeTable() {
		if !strings.HasPrefix(rt.pattern, "POST ") || rt.pattern == "POST /portal/logout" {
			continue
		}
		seen[rt.pattern] = true
		if _, ok := rules[rt.pattern]; !ok {
			t.Errorf("%s changes state but is not audited", rt.pattern)
		}
	}
	for p := range rules {
		if !seen[p] {
			t.Errorf("audit rule for %s, which is not a route", p)
		}
	}
}
