-- Who made each change (docs/events.md, "actor"): the IdP through SCIM
-- with its directory token, an admin in the Admin Portal, the application
-- with a management API key, or scimbridge itself; JSON
-- {"type": …, "id": …, "name": …}. NULL on events recorded before.
ALTER TABLE events ADD COLUMN actor TEXT;
