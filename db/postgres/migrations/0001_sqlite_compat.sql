-- Custom SQL migration file, put your code below! --
-- What SQLite does by itself and the services' queries rely on, given to
-- PostgreSQL (docs/storage.md, "The PostgreSQL side"). The queries are built
-- once, by drizzle's SQLite dialect; db/postgres/translate.ts turns their few
-- SQLite-only forms into these.
--
-- 1. An autoincrement key given as null in an insert gets the next value
--    (SQLite's INTEGER PRIMARY KEY does this; drizzle's SQLite inserts say null).
-- The trigger's argument names the key column.
CREATE FUNCTION gatehouse_next_identity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF to_jsonb(NEW) ->> TG_ARGV[0] IS NULL THEN
    NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0],
      nextval(pg_get_serial_sequence(quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME), TG_ARGV[0]))));
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_log_seq BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION gatehouse_next_identity('seq');
--> statement-breakpoint
CREATE TRIGGER reencryption_jobs_id BEFORE INSERT ON reencryption_jobs FOR EACH ROW EXECUTE FUNCTION gatehouse_next_identity('id');
--> statement-breakpoint
-- 2. SQLite's instr(haystack, needle): the 1-based position, 0 when absent.
CREATE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT strpos($1, $2)';
--> statement-breakpoint
-- 3. SQLite's json_extract(json, '$.key'): the value at a path of keys, as text.
CREATE FUNCTION json_extract(text, text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$SELECT ($1::jsonb) #>> string_to_array(substr($2, 3), '.')$$;
--> statement-breakpoint
-- 4. The full-text index of the audit log's detail (SQLite: the FTS5 table
--    audit_search, rowid = audit_log.seq). The text is cut into words as FTS5's
--    unicode61 tokenizer cuts it (letters and digits; everything else
--    separates), so that a search finds the same entries on both stores.
CREATE FUNCTION gatehouse_fts_document(text) RETURNS tsvector LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$SELECT to_tsvector('simple', regexp_replace($1, '[^[:alnum:]]+', ' ', 'g'))$$;
--> statement-breakpoint
-- An FTS5 query as server/audit/filter.ts writes it ("word word" AND "word"): every phrase, in order.
CREATE FUNCTION gatehouse_fts_query(text) RETURNS tsquery LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  matches tsquery := NULL;
  phrase text;
BEGIN
  FOREACH phrase IN ARRAY regexp_split_to_array($1, '\s+AND\s+') LOOP
    matches := CASE WHEN matches IS NULL THEN phraseto_tsquery('simple', regexp_replace(phrase, '[^[:alnum:]]+', ' ', 'g'))
      ELSE matches && phraseto_tsquery('simple', regexp_replace(phrase, '[^[:alnum:]]+', ' ', 'g')) END;
  END LOOP;
  RETURN matches;
END $$;
--> statement-breakpoint
CREATE TABLE audit_search (
  rowid bigint PRIMARY KEY,
  document tsvector NOT NULL
);
--> statement-breakpoint
CREATE INDEX audit_search_document_idx ON audit_search USING gin (document);
--> statement-breakpoint
CREATE FUNCTION gatehouse_audit_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.detail IS NOT NULL THEN
    INSERT INTO audit_search (rowid, document) VALUES (NEW.seq, gatehouse_fts_document(NEW.detail));
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_search_insert AFTER INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_search_insert();
--> statement-breakpoint
CREATE FUNCTION gatehouse_audit_search_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM audit_search WHERE rowid = OLD.seq;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_search_delete AFTER DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION gatehouse_audit_search_delete();
