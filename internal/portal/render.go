package portal

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/directory"
	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages are the parsed templates, one set per page: the layout plus the
// page's own file, which defines "content".
type pages map[string]*template.Template

func parsePages() (pages, error) {
	entries, err := fs.ReadDir(templateFiles, "templates")
	if err != nil {
		return nil, err
	}
	out := pages{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("portal template %s: %w", e.Name(), err)
		}
		out[name] = t
	}
	return out, nil
}

// page is what every template gets. Handlers set the first fields; render
// fills the rest from the session and configuration.
type page struct {
	Title  string
	Tab    string // scim, users, groups, roles, events
	Dirs   []directory.Directory
	Dir    directory.Directory // the selected directory, when the tab has one
	Data   any
	Notice string

	Brand     Branding
	CSRF      string
	OrgName   string
	ReturnURL string
	Signed    bool
	Now       time.Time
}

// DirParam is "dir=<id>" for the selected directory, to keep it across tabs.
func (p page) DirParam() string {
	if p.Dir.ID == "" {
		return ""
	}
	return "?dir=" + p.Dir.ID
}

// notices are the confirmations shown after a redirect (?done=code).
var notices = map[string]string{
	"token_revoked":        "The token was revoked. Requests that use it are refused from now on.",
	"enabled":              "The directory is enabled: your identity provider can provision again.",
	"disabled":             "The directory is disabled: provisioning requests are refused until you enable it.",
	"deleted":              "The directory was deleted with its users and groups.",
	"roles_saved":          "Role assignments saved. Users' roles changed at once.",
	"attributes_saved":     "Attribute mappings saved and applied to every user of the directory.",
	"attributes_saving":    "Attribute mappings saved. Users are being updated in the background; the count below goes to zero when they are done.",
	"hold_released":        "The hold was released: the application received the held changes, in order.",
	"hold_discarded":       "The hold was discarded: the application keeps these users until your identity provider agrees again.",
	"deprovisioning_saved": "Deprovisioning settings saved.",
}

// render writes a page with the given status. The page is rendered into a
// buffer first, so that a template error becomes an error page, not half
// a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) error {
	t, ok := h.pages[name]
	if !ok {
		return fmt.Errorf("portal: no template %q", name)
	}
	p.Brand = h.Branding
	p.Now = h.Service.IDs.Now().UTC()
	if s := sessionOf(r.Context()); s != nil {
		p.CSRF, p.OrgName, p.ReturnURL, p.Signed = s.csrf, s.org.Name, s.ReturnURL, true
	}
	if p.Notice == "" {
		p.Notice = notices[r.URL.Query().Get("done")]
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// static serves /portal/static/{file}: the stylesheet, the script and the
// theme (the accent colour from configuration).
func (h *Handler) static(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	var body []byte
	var ctype string
	switch name {
	case "theme.css":
		body = []byte(":root { --accent: " + h.Branding.Accent + "; }\n")
		ctype = "text/css; charset=utf-8"
	case "portal.css", "portal.js":
		b, err := staticFiles.ReadFile("static/" + name)
		if err != nil {
			return err
		}
		body = b
		ctype = "text/css; charset=utf-8"
		if strings.HasSuffix(name, ".js") {
			ctype = "text/javascript; charset=utf-8"
		}
	default:
		return directory.Errorf(directory.KindNotFound, "There is no file at this address.")
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(body)
	return err
}

var funcs = template.FuncMap{
	"when":     localTime,
	"ago":      ago,
	"json":     prettyJSON,
	"email":    primaryEmail,
	"display":  userName,
	"provider": providerByKey,
	"attr":     attrValue,
	"ms":       func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) },
	"statusClass": func(code int) string {
		switch {
		case code >= 500:
			return "bad"
		case code >= 400:
			return "warn"
		default:
			return "good"
		}
	},
	"count": func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	},
	"str": func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		return ""
	},
}

// when formats a time for people; the zero time is "never".
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2 Jan 2006 15:04:05 UTC")
}

// localTime is when for pages: a <time> element in UTC that the script
// shows in the viewer's time zone, with the UTC time on hover.
func localTime(t time.Time) template.HTML {
	if t.IsZero() {
		return "never"
	}
	u := when(t)
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `" title="` + u + `" data-local>` + u + `</time>`)
}

// ago says how long before now t was.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " seconds ago"
	case d < 2*time.Minute:
		return "1 minute ago"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " minutes ago"
	case d < 2*time.Hour:
		return "1 hour ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " hours ago"
	default:
		return strconv.Itoa(int(d.Hours()/24)) + " days ago"
	}
}

func prettyJSON(v any) string {
	if s, ok := v.(string); ok {
		var x any
		if json.Unmarshal([]byte(s), &x) != nil {
			return s
		}
		v = x
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// primaryEmail is a user's primary email, "" when it has none.
func primaryEmail(u directory.User) string {
	if e := directory.PrimaryEmail(u.Doc); e != nil {
		return *e
	}
	return ""
}

// userName is what the portal calls a user: display name, else the
// given and family names, else userName.
func userName(u directory.User) string {
	if s, _ := u.Doc["displayName"].(string); s != "" {
		return s
	}
	n, _ := u.Doc["name"].(map[string]any)
	g, _ := n["givenName"].(string)
	f, _ := n["familyName"].(string)
	if s := strings.TrimSpace(g + " " + f); s != "" {
		return s
	}
	return u.UserName
}

// field returns a string attribute of a document at a path such as
// "name.givenName" or the enterprise extension's "department".
func field(doc schema.Resource, path ...string) string {
	var cur any = map[string]any(doc)
	for _, p := range path {
		m, _ := cur.(map[string]any)
		cur = m[p]
	}
	s, _ := cur.(string)
	return s
}
