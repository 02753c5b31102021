package portal

import "github.com/scimbridge/scimbridge/internal/directory"

// provider is one entry of the SCIM Provisioning tab's provider list.
type provider struct {
	Key       string // directory.Providers() key; "" when not available
	Slug      string // URL segment
	Name      string
	Mark      string // one or two letters for the mark
	Blurb     string
	Available bool
	Why       string // why it is not available
}

// providers lists the identity providers the portal offers, in the order
// it shows them.
var providerList = []provider{
	{Key: "okta", Slug: "okta", Name: "Okta", Mark: "O", Available: true,
		Blurb: "Push users and groups from an Okta app integration with SCIM provisioning."},
	{Key: "entra_id", Slug: "entra_id", Name: "Microsoft Entra ID", Mark: "E", Available: true,
		Blurb: "Provision from an Entra ID enterprise application (formerly Azure AD)."},
	{Key: "jumpcloud", Slug: "jumpcloud", Name: "JumpCloud", Mark: "JC", Available: true,
		Blurb: "Use JumpCloud's custom SCIM application connector."},
	{Key: "onelogin", Slug: "onelogin", Name: "OneLogin", Mark: "1L", Available: true,
		Blurb: "Use OneLogin's SCIM Provisioner with SAML 2.0 app."},
	{Key: "pingidentity", Slug: "pingidentity", Name: "PingIdentity", Mark: "P", Available: true,
		Blurb: "PingOne or PingFederate outbound SCIM provisioning."},
	{Key: "rippling", Slug: "rippling", Name: "Rippling", Mark: "R", Available: true,
		Blurb: "Sync employees from Rippling's custom SCIM app."},
	{Key: "custom", Slug: "custom", Name: "Custom Provider", Mark: "{}", Available: true,
		Blurb: "Any SCIM 2.0 client: authentik, Keycloak, an HR system or your own script."},
	{Slug: "google_workspace", Name: "Google Workspace", Mark: "G",
		Blurb: "Google Workspace does not push SCIM to custom apps.",
		Why:   "Google Workspace only provisions to apps in Google's own catalog, so it cannot send users to this application directly. If your users are also in Okta, Entra ID or another identity provider, connect that one instead."},
}

func providerBySlug(slug string) (provider, bool) {
	for _, p := range providerList {
		if p.Slug == slug {
			return p, true
		}
	}
	return provider{}, false
}

func providerByKey(key string) provider {
	for _, p := range providerList {
		if p.Key == key {
			return p
		}
	}
	return provider{Key: key, Name: key, Mark: "?"}
}

// IdP is the provider's name in sentences about the identity provider
// ("paste it into Okta"): "your identity provider" for Custom Provider.
func (p provider) IdP() string { return directory.ProviderName(p.Key) }
