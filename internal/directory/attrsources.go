package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// What the mapping page shows an IT admin: the attributes this directory's
// IdP actually sends, a preview of proposed mappings, and per-provider
// defaults. All of it is computed from a bounded sample of the directory's
// users (SourceSample), so its cost does not grow with the directory.

// SourceSample is how many users (the first created) the attribute
// summary and the preview read.
const SourceSample = 500

// previewUsers is how many users a preview shows.
const previewUsers = 5

// SeenAttribute is one SCIM path found in the sampled users' documents.
type SeenAttribute struct {
	Path    string   // a mapping source that reads it
	Count   int      // sampled users that have a value there
	Samples []string // up to 3 distinct values, shortened
}

// AttributeSummary lists the attributes seen in a directory's users.
type AttributeSummary struct {
	SampledUsers int
	TotalUsers   int
	Attributes   []SeenAttribute // most common first, then by path
	// TypeErrors counts, per mapped key, the sampled users whose value is
	// null because the IdP's value does not fit the type, with one reason.
	TypeErrors map[string]TypeErrors
}

// TypeErrors is how many sampled users have a type error on one key.
type TypeErrors struct {
	Users   int
	Example string
}

// SeenAttributes summarises the attributes of the directory's first
// SourceSample users: every leaf path with a value, filtered paths
// (`emails[type eq "work"].value`) for typed multi-valued attributes.
func (s *Service) SeenAttributes(ctx context.Context, dirID string) (AttributeSummary, error) {
	users, total, err := s.sampleUsers(ctx, dirID)
	if err != nil {
		return AttributeSummary{}, err
	}
	type acc struct {
		count   int
		samples []string
	}
	seen := map[string]*acc{}
	typeErrs := map[string]TypeErrors{}
	for _, u := range users {
		for k, why := range u.Custom.Errors {
			te := typeErrs[k]
			te.Users++
			if te.Example == "" {
				te.Example = userLabel(u) + ": " + why
			}
			typeErrs[k] = te
		}
		paths := map[string]string{}
		collectPaths(u.Doc, paths)
		for p, v := range paths {
			a := seen[p]
			if a == nil {
				a = &acc{}
				seen[p] = a
			}
			a.count++
			if len(a.samples) < 3 && !contains(a.samples, v) {
				a.samples = append(a.samples, v)
			}
		}
	}
	out := AttributeSummary{SampledUsers: len(users), TotalUsers: total, Attributes: make([]SeenAttribute, 0, len(seen)), TypeErrors: typeErrs}
	for p, a := range seen {
		out.Attributes = append(out.Attributes, SeenAttribute{Path: p, Count: a.count, Samples: a.samples})
	}
	sort.Slice(out.Attributes, func(i, j int) bool {
		x, y := out.Attributes[i], out.Attributes[j]
		if x.Count != y.Count {
			return x.Count > y.Count
		}
		return x.Path < y.Path
	})
	return out, nil
}

func (s *Service) sampleUsers(ctx context.Context, dirID string) ([]User, int, error) {
	if _, err := s.Store.GetDirectory(ctx, dirID); err != nil {
		return nil, 0, err
	}
	page, err := s.Store.ListUsers(ctx, dirID, Query{Limit: SourceSample})
	if err != nil {
		return nil, 0, err
	}
	return page.Users, page.Total, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// skippedPaths are never offered as sources: the store owns them, or they
// are secrets.
var skippedPaths = map[string]bool{"schemas": true, "id": true, "meta": true, "password": true, "groups": true}

// collectPaths adds to out every path with a value in doc, with a sample
// of its value.
func collectPaths(doc map[string]any, out map[string]string) {
	for k, v := range doc {
		if skippedPaths[strings.ToLower(k)] {
			continue
		}
		if len(k) > 4 && strings.EqualFold(k[:4], "urn:") {
			if ext, ok := v.(map[string]any); ok {
				for ek, ev := range ext {
					collectValue(k+":"+ek, ev, out)
				}
			}
			continue
		}
		collectValue(k, v, out)
	}
}

func collectValue(path string, v any, out map[string]string) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		for sk, sv := range x {
			if _, ok := sv.(map[string]any); !ok && sv != nil {
				collectValue(path+"."+sk, sv, out)
			}
		}
	case []any:
		var scalars []string
		for _, el := range x {
			m, ok := el.(map[string]any)
			if !ok {
				if el != nil {
					scalars = append(scalars, sampleText(el))
				}
				continue
			}
			t, _ := m["type"].(string)
			for sk, sv := range m {
				if sv == nil || sk == "type" || sk == "primary" {
					continue
				}
				if _, nested := sv.(map[string]any); nested {
					continue
				}
				if t != "" {
					out[fmt.Sprintf("%s[type eq %q].%s", path, t, sk)] = sampleText(sv)
				} else if _, ok := out[path+"."+sk]; !ok {
					out[path+"."+sk] = sampleText(sv)
				}
			}
		}
		if len(scalars) > 0 {
			out[path] = strings.Join(scalars, ", ")
		}
	default:
		out[path] = sampleText(v)
	}
}

func sampleText(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		b, _ := json.Marshal(x)
		s = string(b)
	}
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return s
}

// PreviewValue is one attribute of one user in a preview.
type PreviewValue struct {
	Key     string
	Current any    // the stored value
	Next    any    // the value with the proposed mappings
	Error   string // why Next is null, when the IdP's value does not fit
	Changes bool
}

// PreviewUser is one user in a preview.
type PreviewUser struct {
	UserID  string
	Display string
	Values  []PreviewValue // by key
}

// AttributePreview is what proposed mappings would do to the sampled users.
type AttributePreview struct {
	SampledUsers int
	Changing     int // sampled users whose values would change
	Users        []PreviewUser
}

// PreviewAttributeMappings evaluates proposed mappings on the directory's
// sampled users without saving anything. Users shown are those whose
// values would change first.
func (s *Service) PreviewAttributeMappings(ctx context.Context, dirID string, ms []AttributeMapping) (AttributePreview, error) {
	typed, err := s.typedMappings(ctx, ms)
	if err != nil {
		return AttributePreview{}, err
	}
	users, _, err := s.sampleUsers(ctx, dirID)
	if err != nil {
		return AttributePreview{}, err
	}
	m := AttributeMap{Mappings: typed}
	keys := map[string]bool{}
	for _, t := range typed {
		keys[t.Key] = true
	}
	p := AttributePreview{SampledUsers: len(users)}
	var changing, same []PreviewUser
	for _, u := range users {
		next := MapAttributes(s.Schemas.User, m, u.Doc)
		all := map[string]bool{}
		for k := range keys {
			all[k] = true
		}
		for k := range u.Custom.Values {
			all[k] = true
		}
		var ks []string
		for k := range all {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		pu := PreviewUser{UserID: u.ID, Display: userLabel(u)}
		changes := false
		for _, k := range ks {
			cur, nxt := u.Custom.Values[k], next.Values[k]
			c := !valueMap{"v": cur}.equal(valueMap{"v": nxt})
			changes = changes || c
			pu.Values = append(pu.Values, PreviewValue{Key: k, Current: cur, Next: nxt, Error: next.Errors[k], Changes: c})
		}
		if changes {
			p.Changing++
			changing = append(changing, pu)
		} else {
			same = append(same, pu)
		}
	}
	p.Users = append(changing, same...)
	if len(p.Users) > previewUsers {
		p.Users = p.Users[:previewUsers]
	}
	return p, nil
}

func userLabel(u User) string {
	if s, ok := u.Doc["displayName"].(string); ok && s != "" {
		return s
	}
	return u.UserName
}

// ---- Per-provider defaults. ----

// wellKnown are the sources of common attributes, by a normalized key
// (lower case, no "_" or "-"), as each provider sends them with its
// default attribute mappings. "" is every provider; a provider entry
// overrides it.
var wellKnown = map[string]map[string]string{
	"costcenter":        {"": schema.EnterpriseUserURN + ":costCenter"},
	"department":        {"": schema.EnterpriseUserURN + ":department"},
	"division":          {"": schema.EnterpriseUserURN + ":division"},
	"organization":      {"": schema.EnterpriseUserURN + ":organization"},
	"employeenumber":    {"": schema.EnterpriseUserURN + ":employeeNumber"},
	"employeeid":        {"": schema.EnterpriseUserURN + ":employeeNumber"},
	"managerid":         {"": schema.EnterpriseUserURN + ":manager.value"},
	"manager":           {"": schema.EnterpriseUserURN + ":manager.value"},
	"title":             {"": "title"},
	"jobtitle":          {"": "title"},
	"usertype":          {"": "userType"},
	"employeetype":      {"": "userType"},
	"locale":            {"": "locale"},
	"timezone":          {"": "timezone"},
	"preferredlanguage": {"": "preferredLanguage"},
	"nickname":          {"": "nickName"},
	"workemail":         {"": `emails[type eq "work"].value`},
	"mobile":            {"": `phoneNumbers[type eq "mobile"].value`},
	"mobilephone":       {"": `phoneNumbers[type eq "mobile"].value`},
	"workphone":         {"": `phoneNumbers[type eq "work"].value`},
	"phone":             {"": `phoneNumbers[type eq "work"].value`},
	"city":              {"": `addresses[type eq "work"].locality`},
	"country":           {"": `addresses[type eq "work"].country`},
	"office": {"": `addresses[type eq "work"].formatted`,
		// Entra ID maps physicalDeliveryOfficeName to the work address.
		"entra_id": `addresses[type eq "work"].formatted`},
	"externalid": {"": "externalId"},
}

// ProviderDefaults suggests a source for each declared attribute for a
// directory of provider: the well-known source for common attributes
// (cost center, department, employee number, mobile phone…) as the
// provider's default mappings send them, else the attribute's default
// source (which the IdP admin can target: it is advertised in /Schemas).
func ProviderDefaults(provider string, attrs []CustomAttribute) []AttributeMapping {
	out := make([]AttributeMapping, 0, len(attrs))
	for _, a := range attrs {
		src := DefaultAttributeSource(a)
		if a.DefaultSource == "" {
			norm := strings.NewReplacer("_", "", "-", "").Replace(a.Key)
			if byProvider, ok := wellKnown[norm]; ok {
				if p, ok := byProvider[provider]; ok {
					src = p
				} else {
					src = byProvider[""]
				}
			}
		}
		out = append(out, AttributeMapping{Key: a.Key, Source: src})
	}
	return out
}
