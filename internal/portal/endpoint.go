package portal

import (
	"net"
	"net/url"
	"strings"
)

// endpointWarning says, in words for the IT admin, why a cloud identity
// provider cannot use the endpoint URLs under publicURL: plain http, or a
// host that is this machine (loopback) or a private network address. ""
// when nothing is wrong that can be seen from the URL alone.
func endpointWarning(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	var where string
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		where = "this computer (localhost)"
	} else if ip := net.ParseIP(host); ip != nil {
		switch {
		case ip.IsLoopback() || ip.IsUnspecified():
			where = "this computer (" + host + ")"
		case ip.IsPrivate() || ip.IsLinkLocalUnicast():
			where = "a private network address (" + host + ")"
		}
	}
	switch {
	case where != "" && u.Scheme == "http":
		return "This Endpoint URL uses plain http and points to " + where + ": a cloud identity provider such as Okta or Entra ID cannot reach it, and Okta requires https. Ask your application's team for the public https address of this service."
	case where != "":
		return "This Endpoint URL points to " + where + ": a cloud identity provider such as Okta or Entra ID cannot reach it. Ask your application's team for the public address of this service."
	case u.Scheme == "http":
		return "This Endpoint URL uses plain http: Okta and Entra ID require https, and the token would cross the internet unencrypted. Ask your application's team for the https address of this service."
	}
	return ""
}
