-- Per-directory compatibility settings (docs/idp-compatibility.md).
ALTER TABLE directories ADD COLUMN strict BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE directories ADD COLUMN reject_unknown_members BOOLEAN NOT NULL DEFAULT FALSE;
