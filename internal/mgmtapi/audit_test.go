package mgmtapi

import (
	"strings"
	"testing"
)

// TestEveryChangeIsAudited: every route that is not a GET is in the audit
// rules or exempt (changes nothing), and every rule names a route.
func TestEveryChangeIsAudited(t *testing.T) {
	h := &Handler{}
	rules := auditRules()
	seen := map[string]bool{}
	for _, p := range h.routeList() {
		if strings.HasPrefix(p, "GET ") {
			continue
		}
		seen[p] = true
		if _, ok := rules[p]; !ok && !contains(auditExempt(), p) {
			t.Errorf("%s changes state but is not audited", p)
		}
	}
	for p := range rules {
		if !seen[p] {
			t.Errorf("audit rule for %s, which is not a route", p)
		}
	}
}
