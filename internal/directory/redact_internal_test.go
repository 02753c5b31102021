package directory

import (
	"strings"
	"testing"
)

// containsFold finds what lowering the text finds, without the copy.
func TestContainsFoldIsLowerContains(t *testing.T) {
	for _, s := range []string{"", "password", "PASSWORD", `{"PassWord":"x"}`, "passwor", "xpasswordx", "paſsword", "paſſword",
		"pa\u212Asword", "p\u0130ssword", "pass\xffword", "pass\xff", "ПАРОЛЬ password", "passworD", "Ｐassword", "ppassword"} {
		want := strings.Contains(strings.ToLower(s), "password")
		if got := containsFold(s, "password"); got != want {
			t.Errorf("containsFold(%q) = %v, want %v", s, got, want)
		}
	}
	for _, s := range []string{"", "abc", "a%41", "a+b", `x\"y`, `\u0041`} {
		if got := unescapeOnce(s); got != strings.NewReplacer(`%41`, "A", "+", " ", `\"`, `"`, `\u0041`, "A").Replace(s) {
			t.Errorf("unescapeOnce(%q) = %q", s, got)
		}
	}
}
