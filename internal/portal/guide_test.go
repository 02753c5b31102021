package portal

import (
	"strings"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	src := "# Title\n\nSome **bold** and `code <x>` with [a link](https://example.com/x?a=1&b=2) and [local](README.md).\n" +
		"<script>alert(1)</script>\n\n## Steps\n\n1. First step\n   continues here.\n2. Second\n   - nested\n\n" +
		"| A | B |\n|---|---|\n| `x|y` | [j](javascript:alert) |\n\n```sh\ncurl -H 'A: <b>'\n```\n"
	got := string(renderMarkdown(src))
	for _, want := range []string{
		"<strong>bold</strong>", "<code>code &lt;x&gt;</code>",
		`<a href="https://example.com/x?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">a link</a>`,
		" local.", "&lt;script&gt;alert(1)&lt;/script&gt;", "<h3>Steps</h3>",
		"<ol>\n<li>First step continues here.</li>", `<li class="nested">nested</li>`,
		"<th>A</th><th>B</th>", "<td><code>x|y</code></td><td>j</td>",
		"<pre><code>curl -H &#39;A: &lt;b&gt;&#39;</code></pre>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered Markdown lacks %q:\n%s", want, got)
		}
	}
	for _, bad := range []string{"<script>", "javascript:", "Title"} {
		if strings.Contains(got, bad) {
			t.Errorf("rendered Markdown contains %q:\n%s", bad, got)
		}
	}
	// Every guide renders.
	for _, p := range providerList {
		h, err := guideHTML(p.Guide)
		if err != nil || len(h) < 500 {
			t.Errorf("guide %s: %d bytes, %v", p.Guide, len(h), err)
		}
	}
}
