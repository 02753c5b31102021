package portal

import (
	"embed"
	"html"
	"html/template"
	"regexp"
	"strings"
)

// guideFiles are copies of docs/idp/*.md (guide_test.go keeps them equal),
// so that the portal shows the same step-by-step guide the docs do.
//
//go:embed guides/*.md
var guideFiles embed.FS

// guideHTML renders the guide of a provider, or "" when there is none.
func guideHTML(file string) (template.HTML, error) {
	if file == "" {
		return "", nil
	}
	b, err := guideFiles.ReadFile("guides/" + file)
	if err != nil {
		return "", err
	}
	return renderMarkdown(string(b)), nil
}

// renderMarkdown renders the subset of Markdown the guides use: headings,
// paragraphs, bullet and numbered lists (with continuation lines and one
// level of nesting), tables, fenced code blocks, and inline code, bold and
// links. All text is escaped; only http(s) links become anchors. The first
// heading is dropped: the page has its own title.
func renderMarkdown(src string) template.HTML {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	var para []string
	var list string // "ul", "ol" or ""
	var item []string
	itemClass := ""
	seenTitle := false
	flushPara := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	flushItem := func() {
		if item != nil {
			b.WriteString("<li" + itemClass + ">" + inline(strings.Join(item, " ")) + "</li>\n")
			item = nil
		}
	}
	closeList := func() {
		flushItem()
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case strings.HasPrefix(trimmed, "```"):
			flushPara()
			closeList()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "```"); i++ {
				code = append(code, lines[i])
			}
			b.WriteString("<pre><code>" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
		case trimmed == "":
			flushPara()
			flushItem()
			// A list continues over a blank line when the next line is
			// another item or indented.
			if list != "" {
				j := i + 1
				if j >= len(lines) || !(listItem.MatchString(lines[j]) || strings.HasPrefix(lines[j], "  ")) {
					closeList()
				}
			}
		case strings.HasPrefix(trimmed, "#"):
			flushPara()
			closeList()
			level := len(trimmed) - len(strings.TrimLeft(trimmed, "#"))
			text := strings.TrimSpace(trimmed[level:])
			if level == 1 && !seenTitle {
				seenTitle = true
				continue
			}
			if level < 2 {
				level = 2
			}
			if level > 4 {
				level = 4
			}
			tag := "h" + string(rune('0'+level+1)) // ## → h3: the page's h1/h2 are its own
			b.WriteString("<" + tag + ">" + inline(text) + "</" + tag + ">\n")
		case strings.HasPrefix(trimmed, "|"):
			flushPara()
			closeList()
			var rows [][]string
			for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
				rows = append(rows, cells(lines[i]))
			}
			i--
			b.WriteString("<div class=\"table-wrap\"><table class=\"guide-table\">\n")
			for r, cs := range rows {
				if r == 1 && isSeparator(cs) {
					continue
				}
				tag := "td"
				if r == 0 {
					tag = "th"
				}
				b.WriteString("<tr>")
				for _, c := range cs {
					b.WriteString("<" + tag + ">" + inline(c) + "</" + tag + ">")
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</table></div>\n")
		case listItem.MatchString(line):
			flushPara()
			m := listItem.FindStringSubmatch(line)
			kind := "ul"
			if m[2] != "-" && m[2] != "*" {
				kind = "ol"
			}
			flushItem()
			if list == "" {
				list = kind
				b.WriteString("<" + kind + ">\n")
			}
			itemClass = ""
			if indent >= 2 {
				itemClass = ` class="nested"`
			}
			item = []string{m[3]}
		case list != "" && item != nil && indent >= 2:
			item = append(item, trimmed)
		default:
			closeList()
			para = append(para, trimmed)
		}
	}
	flushPara()
	closeList()
	return template.HTML(b.String())
}

var listItem = regexp.MustCompile(`^(\s*)(-|\*|\d+\.)\s+(.*)$`)

func cells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	line = strings.TrimSuffix(line, "|")
	// Split on pipes that are not inside backticks.
	var out []string
	var cur strings.Builder
	inCode := false
	for _, r := range line {
		switch {
		case r == '`':
			inCode = !inCode
			cur.WriteRune(r)
		case r == '|' && !inCode:
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, strings.TrimSpace(cur.String()))
}

func isSeparator(cs []string) bool {
	for _, c := range cs {
		if strings.Trim(c, "-: ") != "" {
			return false
		}
	}
	return true
}

var (
	inlineCode = regexp.MustCompile("`([^`]+)`")
	bold       = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	link       = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
)

// inline renders code spans, bold and links in escaped text.
func inline(s string) string {
	// Code spans first, kept aside so that their content is not parsed.
	var codes []string
	s = inlineCode.ReplaceAllStringFunc(s, func(m string) string {
		codes = append(codes, "<code>"+html.EscapeString(m[1:len(m)-1])+"</code>")
		return "\x00" + string(rune('A'+len(codes)-1)) + "\x00"
	})
	var links []string
	s = link.ReplaceAllStringFunc(s, func(m string) string {
		p := link.FindStringSubmatch(m)
		text := html.EscapeString(p[1])
		if strings.HasPrefix(p[2], "https://") || strings.HasPrefix(p[2], "http://") {
			links = append(links, `<a href="`+html.EscapeString(p[2])+`" target="_blank" rel="noopener noreferrer">`+text+`</a>`)
		} else {
			links = append(links, text)
		}
		return "\x01" + string(rune('A'+len(links)-1)) + "\x01"
	})
	s = html.EscapeString(s)
	s = bold.ReplaceAllString(s, "<strong>$1</strong>")
	for i, l := range links {
		s = strings.Replace(s, "\x01"+string(rune('A'+i))+"\x01", l, 1)
	}
	for i, c := range codes {
		s = strings.Replace(s, "\x00"+string(rune('A'+i))+"\x00", c, 1)
	}
	return s
}
