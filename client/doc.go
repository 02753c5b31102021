// Package client is the Go client of the scimbridge management API
// (/api/v1, docs/api.md): typed methods for every endpoint, with a context
// first; iterators (range-over-func) over every paginated list; and
// non-2xx answers as *APIError.
//
//	c := client.New("https://scim.example.com", os.Getenv("SCIMBRIDGE_API_KEY"))
//	org, err := c.CreateOrganization(ctx, "Acme", "acme-42")
//	if err != nil {
//		return err
//	}
//	dir, err := c.CreateDirectory(ctx, org.ID, "okta", "Acme Okta")
//	if err != nil {
//		return err
//	}
//	tok, err := c.CreateToken(ctx, dir.ID, time.Time{})
//	// give dir.EndpointURL and tok.Token to the customer's IdP admin
//
//	for u, err := range c.Users(ctx, dir.ID, client.ListUsersOptions{Active: &yes}) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(u.Email, u.Role)
//	}
//
//	if _, err := c.GetDirectory(ctx, "dir_missing"); client.IsNotFound(err) {
//		…
//	}
//
// The client never logs, and never prints its API key.
package client
