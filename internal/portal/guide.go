package portal

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/scimbridge/scimbridge/docs"
)

// renderGuides renders every provider's setup guide (docs/idp/*.md, the
// same files the docs show) once, when the portal is built.
func renderGuides() (map[string]template.HTML, error) {
	out := map[string]template.HTML{}
	for _, p := range providerList {
		if p.Guide == "" {
			continue
		}
		src, err := docs.IdPGuide(p.Guide)
		if err != nil {
			return nil, fmt.Errorf("portal: guide %s: %w", p.Guide, err)
		}
		h, err := renderMarkdown(src)
		if err != nil {
			return nil, fmt.Errorf("portal: rendering guide %s: %w", p.Guide, err)
		}
		out[p.Guide] = h
	}
	return out, nil
}

// renderMarkdown renders a guide with goldmark (CommonMark and GFM
// tables). Raw HTML in the source is left out (goldmark's safe default),
// so everything shown is escaped text. On top of that, for the portal
// page: the first level-1 heading is dropped (the page has its own title)
// and the others move one level down (## → h3); only http(s) links stay
// links, opened in a new tab, while a link to a file of the repository
// becomes its plain text; tables get the portal's table class.
func renderMarkdown(src []byte) (template.HTML, error) {
	md := goldmark.New(
		goldmark.WithExtensions(extension.Table),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(guideTransformer{}, 100))),
	)
	var b bytes.Buffer
	if err := md.Convert(src, &b); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // goldmark escapes text and omits raw HTML
}

// guideTransformer adapts a parsed guide to the portal page.
type guideTransformer struct{}

func (guideTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	var title ast.Node
	var localLinks []*ast.Link
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			if n.Level == 1 && title == nil {
				title = n
				return ast.WalkSkipChildren, nil
			}
			n.Level = min(max(n.Level, 2), 4) + 1
		case *ast.Link:
			dest := string(n.Destination)
			if strings.HasPrefix(dest, "https://") || strings.HasPrefix(dest, "http://") {
				n.SetAttributeString("target", []byte("_blank"))
				n.SetAttributeString("rel", []byte("noopener noreferrer"))
			} else {
				localLinks = append(localLinks, n)
			}
		case *extast.Table:
			n.SetAttributeString("class", []byte("guide-table"))
		}
		return ast.WalkContinue, nil
	})
	if title != nil {
		title.Parent().RemoveChild(title.Parent(), title)
	}
	for _, l := range localLinks {
		parent := l.Parent()
		for c := l.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, l, c)
			c = next
		}
		parent.RemoveChild(parent, l)
	}
}
