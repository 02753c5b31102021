package directory

import "context"

// Actor types: who made a change that produced an event.
const (
	// ActorIdP: the identity provider, through the directory's SCIM
	// endpoint; ID is the directory token it authenticated with.
	ActorIdP = "idp"
	// ActorPortal: an IT admin in the Admin Portal; ID is the portal link
	// that opened the session.
	ActorPortal = "portal"
	// ActorAPIKey: the application through the management API; ID and
	// Name are the API key's.
	ActorAPIKey = "api_key"
	// ActorBootstrapKey: the management API key from configuration.
	ActorBootstrapKey = "bootstrap_key"
	// ActorCLI: a local command run against the database.
	ActorCLI = "cli"
	// ActorSystem: scimbridge itself (a webhook endpoint disabled after
	// failing, a change with no request behind it).
	ActorSystem = "system"
)

// Actor says who made a change. It names credentials by id, never by
// secret.
type Actor struct {
	Type string `json:"type"`
	ID   string `json:"id,omitempty"`
	// Name is a label for people: the API key's name, the directory's
	// name for the IdP.
	Name string `json:"name,omitempty"`
}

type actorKey struct{}

// WithActor returns ctx carrying who acts in it: the surfaces set it once
// they have authenticated the request, and the events written in ctx carry
// it (EventActor).
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor ctx carries; ok is false when none.
func ActorOf(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok && a.Type != ""
}
