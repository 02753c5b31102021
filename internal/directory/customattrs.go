package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/scimbridge/scimbridge/internal/scim/schema"
)

// Custom attributes (docs/custom-attributes.md). The app declares its
// attributes once; each directory maps them to attributes its IdP sends.
// A user's mapped values are computed on every write of the user from the
// directory's mappings (a few path evaluations, no query) and stored with
// the user, with the mapping version they were computed from; a mapping
// change bumps the version and re-maps the directory's users in chunks
// (ApplyAttributeMappings), each chunk its own short transaction.

// Custom attribute types.
const (
	AttrString     = "string"
	AttrBoolean    = "boolean"
	AttrNumber     = "number"
	AttrDateTime   = "datetime"
	AttrStringList = "string_list"
)

// AttrTypes lists the custom attribute types.
func AttrTypes() []string {
	return []string{AttrString, AttrBoolean, AttrNumber, AttrDateTime, AttrStringList}
}

// CustomAttributesURN is the extension schema under which /Schemas
// advertises the declared attributes (RFC 7643 §3.3, §8.7.1), so that IdPs
// that read the schema (Okta's attribute discovery) offer them; a
// directory's default source for a declared attribute is the attribute
// under it.
const CustomAttributesURN = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User"

// CustomAttribute is an attribute the app declares. Key and Type never
// change.
type CustomAttribute struct {
	Key         string // [a-z][a-z0-9_]*, at most 64 characters
	Type        string // one of AttrTypes
	Description string
	// DefaultSource, when set, is the mapping new directories start with
	// (and the portal suggests); empty: the attribute under
	// CustomAttributesURN.
	DefaultSource string
}

// AttributeMapping maps one declared attribute to a SCIM attribute path.
type AttributeMapping struct {
	Key    string
	Source string
}

// AttributeMap is a directory's mappings with their types, and the
// version users' stored values are compared with: every change of the
// mappings increments it.
type AttributeMap struct {
	Version  int64
	Mappings []TypedMapping // ordered by key
}

// TypedMapping is a mapping with the declared type of its attribute.
type TypedMapping struct {
	Key    string `json:"key"`
	Type   string `json:"type"`
	Source string `json:"source"`
}

// CustomValues are a user's mapped values: every mapped key is in Values,
// null when the IdP sent nothing or a value that does not fit the type;
// Errors says why for the latter.
type CustomValues struct {
	Values map[string]any    `json:"values,omitempty"`
	Errors map[string]string `json:"errors,omitempty"`
}

// Empty reports whether there is nothing to store.
func (c CustomValues) Empty() bool { return len(c.Values) == 0 && len(c.Errors) == 0 }

// Equal reports whether c and o hold the same values and errors.
func (c CustomValues) Equal(o CustomValues) bool {
	a, _ := json.Marshal(c)
	b, _ := json.Marshal(o)
	return string(a) == string(b)
}

// MaxCustomAttributes caps the declared attributes (and so the mappings of
// a directory).
const MaxCustomAttributes = 100

// ValidAttributeKey reports whether k is a valid custom attribute key: it
// is also the attribute's name in the advertised extension schema, so it
// must be an ATTRNAME (RFC 7643 §2.1); we keep it to lower case.
func ValidAttributeKey(k string) bool {
	if len(k) == 0 || len(k) > 64 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func validAttrType(t string) bool {
	for _, x := range AttrTypes() {
		if t == x {
			return true
		}
	}
	return false
}

// MapAttributes computes a user's custom values from its document: the
// one rule every write path uses. Sources that do not compile (they were
// checked when saved) map to null.
func MapAttributes(rt *schema.ResourceType, m AttributeMap, doc map[string]any) CustomValues {
	return CompileMappings(rt, m).Map(doc)
}

// CompiledMappings are a directory's mappings with their sources parsed,
// to map many users (a re-mapping chunk) with one parse.
type CompiledMappings struct {
	rt      *schema.ResourceType
	typed   []TypedMapping
	sources []*Source // nil: the source does not compile
}

// CompileMappings parses m's sources.
func CompileMappings(rt *schema.ResourceType, m AttributeMap) CompiledMappings {
	c := CompiledMappings{rt: rt, typed: m.Mappings, sources: make([]*Source, len(m.Mappings))}
	for i, tm := range m.Mappings {
		if src, err := CompileSource(rt, tm.Source); err == nil {
			c.sources[i] = &src
		}
	}
	return c
}

// Map computes the custom values of one document.
func (c CompiledMappings) Map(doc map[string]any) CustomValues {
	if len(c.typed) == 0 {
		return CustomValues{}
	}
	out := CustomValues{Values: make(map[string]any, len(c.typed))}
	for i, tm := range c.typed {
		if c.sources[i] == nil {
			out.Values[tm.Key] = nil
			continue
		}
		v, why := Convert(tm.Type, c.sources[i].Values(c.rt, doc))
		out.Values[tm.Key] = v
		if why != "" {
			if out.Errors == nil {
				out.Errors = map[string]string{}
			}
			out.Errors[tm.Key] = fmt.Sprintf("%s, in %s", why, tm.Source)
		}
	}
	return out
}

// mapUser sets u's custom values from the directory's mappings.
func (s *Service) mapUser(d Directory, u *User) {
	u.Custom = MapAttributes(s.Schemas.User, d.Attributes, u.Doc)
	u.AttrVersion = d.Attributes.Version
}

// ---- Declared attributes. ----

// ListCustomAttributes returns the declared attributes, ordered by key.
func (s *Service) ListCustomAttributes(ctx context.Context) ([]CustomAttribute, error) {
	return s.Store.ListCustomAttributes(ctx)
}

// CreateCustomAttribute declares an attribute.
func (s *Service) CreateCustomAttribute(ctx context.Context, a CustomAttribute) (CustomAttribute, error) {
	if !ValidAttributeKey(a.Key) {
		return CustomAttribute{}, Errorf(KindInvalid, "key %q is not valid: use 1 to 64 characters from a-z, 0-9 and _, starting with a letter", a.Key)
	}
	if !validAttrType(a.Type) {
		return CustomAttribute{}, Errorf(KindInvalid, "type %q is not one of %s", a.Type, strings.Join(AttrTypes(), ", "))
	}
	if err := s.checkDefaultSource(&a.DefaultSource); err != nil {
		return CustomAttribute{}, err
	}
	existing, err := s.Store.ListCustomAttributes(ctx)
	if err != nil {
		return CustomAttribute{}, err
	}
	if len(existing) >= MaxCustomAttributes {
		return CustomAttribute{}, Errorf(KindTooMany, "at most %d custom attributes can be declared", MaxCustomAttributes)
	}
	if err := s.Store.CreateCustomAttribute(ctx, a); err != nil {
		return CustomAttribute{}, err
	}
	return a, nil
}

func (s *Service) checkDefaultSource(src *string) error {
	*src = strings.TrimSpace(*src)
	if *src == "" {
		return nil
	}
	if _, err := CompileSource(s.Schemas.User, *src); err != nil {
		return Errorf(KindInvalid, "default_source: %s", err.(*Error).Message)
	}
	return nil
}

// CustomAttributeUpdate is a partial update: nil fields are left alone.
// Key and type never change (declare a new attribute instead).
type CustomAttributeUpdate struct {
	Description   *string
	DefaultSource *string
}

// UpdateCustomAttribute changes an attribute's description or default
// source. Directories keep their mappings.
func (s *Service) UpdateCustomAttribute(ctx context.Context, key string, u CustomAttributeUpdate) (CustomAttribute, error) {
	if u.DefaultSource != nil {
		if err := s.checkDefaultSource(u.DefaultSource); err != nil {
			return CustomAttribute{}, err
		}
	}
	return s.Store.UpdateCustomAttribute(ctx, key, func(a *CustomAttribute) error {
		if u.Description != nil {
			a.Description = *u.Description
		}
		if u.DefaultSource != nil {
			a.DefaultSource = *u.DefaultSource
		}
		return nil
	})
}

// DeleteCustomAttribute deletes a declared attribute. One that a directory
// maps is KindConflict: remove the mapping first, so that users' values
// never disappear without their user_updated events.
func (s *Service) DeleteCustomAttribute(ctx context.Context, key string) error {
	return s.Store.DeleteCustomAttribute(ctx, key)
}

// DefaultAttributeSource is the source a declared attribute starts with.
func DefaultAttributeSource(a CustomAttribute) string {
	if a.DefaultSource != "" {
		return a.DefaultSource
	}
	return CustomAttributesURN + ":" + a.Key
}

// ---- Directory mappings. ----

// defaultMappings are the mappings a new directory starts with: every
// declared attribute from DefaultAttributeSource.
func (s *Service) defaultMappings(ctx context.Context) ([]TypedMapping, error) {
	attrs, err := s.Store.ListCustomAttributes(ctx)
	if err != nil {
		return nil, err
	}
	var out []TypedMapping
	for _, a := range attrs {
		out = append(out, TypedMapping{Key: a.Key, Type: a.Type, Source: DefaultAttributeSource(a)})
	}
	return out, nil
}

// AttributeMappingStatus is a directory's mappings as stored, with how
// many of its users still hold values of an older version (0 once a
// change is applied).
type AttributeMappingStatus struct {
	Version      int64
	Mappings     []TypedMapping
	PendingUsers int
}

// GetAttributeMappings returns a directory's attribute mappings.
func (s *Service) GetAttributeMappings(ctx context.Context, dirID string) (AttributeMappingStatus, error) {
	d, err := s.Store.GetDirectory(ctx, dirID)
	if err != nil {
		return AttributeMappingStatus{}, err
	}
	n, err := s.Store.PendingAttributeUsers(ctx, dirID, d.Attributes.Version)
	if err != nil {
		return AttributeMappingStatus{}, err
	}
	ms := d.Attributes.Mappings
	if ms == nil {
		ms = []TypedMapping{}
	}
	return AttributeMappingStatus{Version: d.Attributes.Version, Mappings: ms, PendingUsers: n}, nil
}

// typedMappings checks ms against the declared attributes and returns them
// typed, ordered by key.
func (s *Service) typedMappings(ctx context.Context, ms []AttributeMapping) ([]TypedMapping, error) {
	attrs, err := s.Store.ListCustomAttributes(ctx)
	if err != nil {
		return nil, err
	}
	types := map[string]string{}
	for _, a := range attrs {
		types[a.Key] = a.Type
	}
	seen := map[string]bool{}
	out := make([]TypedMapping, 0, len(ms))
	for i, m := range ms {
		t, ok := types[m.Key]
		if !ok {
			return nil, Errorf(KindInvalid, "mappings[%d].key %q is not a declared custom attribute (declare it with POST /api/v1/custom_attributes)", i, m.Key)
		}
		if seen[m.Key] {
			return nil, Errorf(KindInvalid, "mappings[%d] maps %q a second time", i, m.Key)
		}
		seen[m.Key] = true
		src, err := CompileSource(s.Schemas.User, m.Source)
		if err != nil {
			return nil, Errorf(KindInvalid, "mappings[%d]: %s", i, err.(*Error).Message)
		}
		out = append(out, TypedMapping{Key: m.Key, Type: t, Source: src.String()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// attrChunk is how many users one transaction of a mapping change
// re-maps: small enough that the SQLite writer is held for a few
// milliseconds at a time, so SCIM writes interleave.
const attrChunk = 100

// attrApplyBudget is how long PutAttributeMappings re-maps users before it
// answers by default (Service.AttributeApplyBudget); what is left is
// finished in the background by ApplyPendingAttributes, which leaves a
// change alone for the budget and attrHandOff more after it was saved
// (the PUT is still on it).
const (
	attrApplyBudget = 10 * time.Second
	attrHandOff     = 2 * time.Second
)

func (s *Service) attrBudget() time.Duration {
	if s.AttributeApplyBudget > 0 {
		return s.AttributeApplyBudget
	}
	return attrApplyBudget
}

// PutAttributeMappings replaces a directory's attribute mappings and
// applies them to its users: each user whose values change gets a
// user_updated event with its previous custom_attributes. The mappings
// are saved first (users the IdP writes from then on are mapped with them
// at once); the users are then re-mapped in chunks of attrChunk users,
// each its own transaction, so a change on a large directory never holds
// the database for long. It re-maps for up to attrApplyBudget: when users
// are left (PendingUsers > 0), ApplyPendingAttributes finishes them in the
// background. It returns the saved mappings and how many users changed so
// far.
func (s *Service) PutAttributeMappings(ctx context.Context, dirID string, ms []AttributeMapping) (AttributeMappingStatus, int, error) {
	typed, err := s.typedMappings(ctx, ms)
	if err != nil {
		return AttributeMappingStatus{}, 0, err
	}
	d, err := s.Store.GetDirectory(ctx, dirID)
	if err != nil {
		return AttributeMappingStatus{}, 0, err
	}
	if !reflect.DeepEqual(nonNil(d.Attributes.Mappings), typed) {
		if _, err := s.Store.PutAttributeMappings(ctx, dirID, typed, s.now()); err != nil {
			return AttributeMappingStatus{}, 0, err
		}
		s.AuthCache.Invalidate()
	}
	changed, err := s.applyAttributes(ctx, dirID, s.now().Add(s.attrBudget()))
	if err != nil {
		return AttributeMappingStatus{}, changed, err
	}
	st, err := s.GetAttributeMappings(ctx, dirID)
	return st, changed, err
}

func nonNil(ms []TypedMapping) []TypedMapping {
	if ms == nil {
		return []TypedMapping{}
	}
	return ms
}

// ApplyAttributeMappings re-maps every user of the directory whose values
// are of an older mapping version, chunk by chunk, and returns how many
// changed.
func (s *Service) ApplyAttributeMappings(ctx context.Context, dirID string) (int, error) {
	return s.applyAttributes(ctx, dirID, time.Time{})
}

// ApplyPendingAttributes finishes the mapping changes that their PUT did
// not (it ran out of time, or the process stopped): the background job,
// run every few seconds by the server. It returns how many users changed.
func (s *Service) ApplyPendingAttributes(ctx context.Context) (int, error) {
	ids, err := s.Store.AttributeDirectoriesToApply(ctx, s.now().Add(-s.attrBudget()-attrHandOff), 100)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, id := range ids {
		n, err := s.ApplyAttributeMappings(ctx, id)
		total += n
		if IsNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// applyAttributes re-maps the directory's users until none is left, or
// until the time until (zero: no limit), and marks the version applied
// when none is left. A mapping change in between restarts the walk, so
// that users already passed are re-mapped with the newer version.
func (s *Service) applyAttributes(ctx context.Context, dirID string, until time.Time) (int, error) {
	var after int64
	total := 0
	// Sources are parsed once per mapping version, not once per user.
	var compiled CompiledMappings
	version := int64(-1)
	mapFn := func(m AttributeMap, doc map[string]any) CustomValues {
		if m.Version != version {
			compiled, version = CompileMappings(s.Schemas.User, m), m.Version
		}
		return compiled.Map(doc)
	}
	walking := int64(-1) // the version this walk re-maps to
	for {
		began := s.IDs.Now()
		res, err := s.Store.RemapUsers(ctx, dirID, after, attrChunk, mapFn)
		if err != nil {
			return total, err
		}
		if !res.Done && s.AttributeRemapRest > 0 {
			if err := rest(ctx, time.Duration(float64(s.IDs.Now().Sub(began))*s.AttributeRemapRest)); err != nil {
				return total, err
			}
		}
		total += res.Changed
		if walking >= 0 && res.Version != walking {
			after, walking = 0, res.Version
			continue
		}
		walking = res.Version
		if res.Done {
			return total, s.Store.MarkAttributesApplied(ctx, dirID, res.Version)
		}
		after = res.Next
		if !until.IsZero() && s.now().After(until) {
			return total, nil
		}
	}
}

// rest waits for d or until ctx ends.
func rest(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RemapResult is what one Store.RemapUsers chunk did.
type RemapResult struct {
	Changed int   // users whose values changed (one event each)
	Next    int64 // where the next chunk starts
	Done    bool  // no user is left after this chunk
	Version int64 // the mapping version the chunk applied
}

// CustomAttributesChange decides the event of a re-mapped user: nil when
// its values did not change, else user_updated with its previous
// custom_attributes (rec is the user with its new values).
func CustomAttributesChange(rec UserRecord, before, after CustomValues) *EventSpec {
	if recordValues(before).equal(recordValues(after)) {
		return nil
	}
	e := CustomAttributesEvent(rec, recordValues(before))
	return &e
}

type valueMap map[string]any

// equal compares values as an app sees them: a null value and a missing
// key are the same (adding a mapping that no user has a value for changes
// nobody).
func (a valueMap) equal(b valueMap) bool {
	x, _ := json.Marshal(a.nonNull())
	y, _ := json.Marshal(b.nonNull())
	return string(x) == string(y)
}

func (a valueMap) nonNull() valueMap {
	out := valueMap{}
	for k, v := range a {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

// recordValues is custom_attributes as records show it: never nil.
func recordValues(c CustomValues) valueMap {
	if c.Values == nil {
		return valueMap{}
	}
	return c.Values
}
