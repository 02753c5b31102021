package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/scimbridge/scimbridge/client"
)

// Custom attributes and attribute mappings (docs/custom-attributes.md),
// for the API commands of api.go.

const customAttrHeader = "KEY\tTYPE\tDEFAULT SOURCE\tDESCRIPTION"

func customAttrRows(as ...client.CustomAttribute) func(io.Writer) {
	return func(w io.Writer) {
		for _, a := range as {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.Key, a.Type, dash(a.DefaultSource), dash(a.Description))
		}
	}
}

func customAttributesCommand() command {
	return command{name: "custom-attributes", summary: "the attributes your app reads from users, mapped per directory", subs: []command{
		{name: "list", summary: "list declared attributes", api: customAttrsList},
		{name: "create", flagsHint: "--key KEY --type T [--description D] [--default-source PATH]", required: []string{"key", "type"},
			summary: "declare an attribute", api: customAttrsCreate},
		{name: "update", pos: []string{"KEY"}, flagsHint: "[--description D] [--default-source PATH]",
			summary: "change an attribute's description or default source", api: customAttrsUpdate},
		{name: "delete", pos: []string{"KEY"}, summary: "delete an attribute no directory maps", api: customAttrsDelete},
	}}
}

func customAttrsList(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		as, err := c.ListCustomAttributes(ctx)
		if err != nil {
			return err
		}
		return a.print(as, customAttrHeader, customAttrRows(as...))
	}
}

func customAttrsCreate(a *apiCmd) apiFunc {
	var x client.CustomAttribute
	a.fs.StringVar(&x.Key, "key", "", "the attribute's key: a-z, 0-9 and _, starting with a letter (required)")
	a.fs.StringVar(&x.Type, "type", "", "string, boolean, number, datetime or string_list (required)")
	a.fs.StringVar(&x.Description, "description", "", "what the app uses it for (shown to IT admins)")
	a.fs.StringVar(&x.DefaultSource, "default-source", "", "the SCIM path new directories map it to")
	return func(ctx context.Context, c *client.Client) error {
		created, err := c.CreateCustomAttribute(ctx, x)
		if err != nil {
			return err
		}
		return a.print(created, customAttrHeader, customAttrRows(created))
	}
}

func customAttrsUpdate(a *apiCmd) apiFunc {
	var u client.CustomAttributeUpdate
	a.fs.Func("description", "new description", func(s string) error { u.Description = &s; return nil })
	a.fs.Func("default-source", "new default source (\"\" for the advertised extension)", func(s string) error { u.DefaultSource = &s; return nil })
	return func(ctx context.Context, c *client.Client) error {
		x, err := c.UpdateCustomAttribute(ctx, a.args[0], u)
		if err != nil {
			return err
		}
		return a.print(x, customAttrHeader, customAttrRows(x))
	}
}

func customAttrsDelete(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		if err := c.DeleteCustomAttribute(ctx, a.args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.env.Stdout, "deleted custom attribute %s\n", a.args[0])
		return nil
	}
}

func attributeMappingsCommand() command {
	dir := []string{"DIR_ID"}
	maps := `--map KEY=SOURCE …`
	return command{name: "attribute-mappings", summary: "which IdP attribute feeds each custom attribute, per directory", subs: []command{
		{name: "get", pos: dir, summary: "show a directory's attribute mappings", api: attrMappingsGet},
		{name: "set", pos: dir, flagsHint: maps, summary: "replace a directory's attribute mappings and apply them", api: attrMappingsSet},
		{name: "preview", pos: dir, flagsHint: maps, summary: "show the values a set would give a few users", api: attrMappingsPreview},
		{name: "sources", pos: dir, summary: "list the attributes the directory's IdP sends, and the provider's defaults", api: attrSources},
	}}
}

// attrMapFlags defines the repeatable --map KEY=SOURCE flag; the list is
// never nil, so that no --map sends an empty list.
func attrMapFlags(a *apiCmd) *[]client.AttributeMapping {
	ms := []client.AttributeMapping{}
	a.fs.Func("map", `KEY=SOURCE, e.g. cost_center=urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter; repeat per attribute; none removes every mapping`, func(s string) error {
		key, src, ok := strings.Cut(s, "=")
		if !ok || key == "" || src == "" {
			return fmt.Errorf("want KEY=SOURCE, got %q", s)
		}
		ms = append(ms, client.AttributeMapping{Key: key, Source: src})
		return nil
	})
	return &ms
}

const attrMappingHeader = "KEY\tTYPE\tSOURCE"

func attrMappingRows(ms []client.AttributeMapping) func(io.Writer) {
	return func(w io.Writer) {
		for _, m := range ms {
			fmt.Fprintf(w, "%s\t%s\t%s\n", m.Key, dash(m.Type), m.Source)
		}
	}
}

func attrMappingsGet(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		st, err := c.GetAttributeMappings(ctx, a.args[0])
		if err != nil {
			return err
		}
		if !a.asJSON && st.PendingUsers > 0 {
			fmt.Fprintf(a.env.Stdout, "%d users still hold values of an older version: set the same mappings again to finish\n", st.PendingUsers)
		}
		return a.print(st, attrMappingHeader, attrMappingRows(st.Mappings))
	}
}

func attrMappingsSet(a *apiCmd) apiFunc {
	ms := attrMapFlags(a)
	return func(ctx context.Context, c *client.Client) error {
		st, err := c.PutAttributeMappings(ctx, a.args[0], *ms)
		if err != nil {
			return err
		}
		if !a.asJSON {
			fmt.Fprintf(a.env.Stdout, "%d users' values changed\n", st.UsersChanged)
			if st.PendingUsers > 0 {
				fmt.Fprintf(a.env.Stdout, "%d users are still being re-mapped by the server; `attribute-mappings get` shows progress\n", st.PendingUsers)
			}
		}
		return a.print(st, attrMappingHeader, attrMappingRows(st.Mappings))
	}
}

func attrMappingsPreview(a *apiCmd) apiFunc {
	ms := attrMapFlags(a)
	return func(ctx context.Context, c *client.Client) error {
		p, err := c.PreviewAttributeMappings(ctx, a.args[0], *ms)
		if err != nil {
			return err
		}
		if !a.asJSON {
			fmt.Fprintf(a.env.Stdout, "%d of the %d sampled users would change\n", p.UsersChanging, p.SampledUsers)
		}
		return a.print(p, "USER\tKEY\tNOW\tAFTER", func(w io.Writer) {
			for _, u := range p.Users {
				for _, v := range u.Values {
					after := fmt.Sprint(orDash(v.Proposed))
					if v.Error != "" {
						after = "null (" + v.Error + ")"
					}
					fmt.Fprintf(w, "%s\t%s\t%v\t%s\n", dash(u.DisplayName), v.Key, orDash(v.Current), after)
				}
			}
		})
	}
}

func orDash(v any) any {
	if v == nil {
		return "-"
	}
	return v
}

func attrSources(a *apiCmd) apiFunc {
	return func(ctx context.Context, c *client.Client) error {
		s, err := c.AttributeSources(ctx, a.args[0])
		if err != nil {
			return err
		}
		if !a.asJSON {
			fmt.Fprintf(a.env.Stdout, "attributes in %d of %d users; %s defaults:\n", s.SampledUsers, s.TotalUsers, s.Provider)
			for _, m := range s.ProviderDefaults {
				fmt.Fprintf(a.env.Stdout, "  --map %s=%s\n", m.Key, m.Source)
			}
		}
		return a.print(s, "SOURCE\tUSERS\tEXAMPLES", func(w io.Writer) {
			for _, d := range s.Data {
				fmt.Fprintf(w, "%s\t%d\t%s\n", d.Source, d.Users, strings.Join(d.Samples, ", "))
			}
		})
	}
}
