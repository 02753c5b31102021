package portal

import (
	"strings"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	src := "# Title\n\nSome **bold** and `code <x>` with [a link](https://example.com/x?a=1&b=2) and [local](README.md).\n\n" +
		"<script>alert(1)</script>\n\n## Steps\n\n1. First step\n   continues here.\n2. Second\n   - nested\n\n" +
		"| A | B |\n|---|---|\n| `x\\|y` | [j](javascript:alert) |\n\n```sh\ncurl -H 'A: <b>'\n```\n"
	h, err := renderMarkdown([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := string(h)
	for _, want := range []string{
		"<strong>bold</strong>", "<code>code &lt;x&gt;</code>",
		`<a href="https://example.com/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">a link</a>`,
		" local.", "<h3>Steps</h3>",
		"<li>First step\ncontinues here.</li>", "<ul>\n<li>nested</li>",
		`<table class="guide-table">`, "<th>A</th>", "<td><code>x|y</code></td>",
		"curl -H 'A: &lt;b&gt;'\n</code></pre>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered Markdown lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"<script>", "javascript:", "Title", `href="README.md"`} {
		if strings.Contains(got, bad) {
			t.Errorf("rendered Markdown contains %q:\n%s", bad, got)
		}
	}
}

// Every provider's guide renders from docs/idp, with its steps.
func TestGuidesRender(t *testing.T) {
	guides, err := renderGuides()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range providerList {
		if h := guides[p.Guide]; len(h) < 500 || !strings.Contains(string(h), "<h3>") {
			t.Errorf("guide %s: %d bytes, no step headings", p.Guide, len(h))
		}
	}
}
