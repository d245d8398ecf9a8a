-- Custom SQL migration file, put your code below! --
-- The counterpart of the SQLite migration 0015_contact_versions_triggers:
-- every change to a contact gives its owner's row in contact_versions a new
-- random value (db/schema/contact-versions.ts). gen_random_uuid() is built
-- into PostgreSQL 13 and later.
CREATE FUNCTION gatehouse_contacts_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO contact_versions (owner_id, version) VALUES (OLD.owner_id, gen_random_uuid()::text)
      ON CONFLICT (owner_id) DO UPDATE SET version = excluded.version;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO contact_versions (owner_id, version) VALUES (NEW.owner_id, gen_random_uuid()::text)
      ON CONFLICT (owner_id) DO UPDATE SET version = excluded.version;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER contacts_version AFTER INSERT OR UPDATE OR DELETE ON contacts FOR EACH ROW EXECUTE FUNCTION gatehouse_contacts_version();
--> statement-breakpoint
INSERT INTO contact_versions (owner_id, version)
  SELECT owner_id, gen_random_uuid()::text FROM (SELECT DISTINCT owner_id FROM contacts) AS owners
  ON CONFLICT (owner_id) DO UPDATE SET version = excluded.version;
