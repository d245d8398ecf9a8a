-- Custom SQL migration file, put your code below! --
-- Full-text search over the audit log's `detail` (the Audit page's "Search
-- details" filter). drizzle's schema cannot describe an FTS5 virtual table, so
-- this is a custom migration (drizzle-kit generate --custom): keep it as its
-- own migration when squashing the generated ones.
--
-- Contentless (the text already lives in audit_log.detail) with
-- contentless_delete, so the retention job's DELETE can remove index entries
-- by rowid. rowid = audit_log.seq. Triggers keep it in step with every insert
-- path; audit_log has no UPDATE path (append-only), so there is no update trigger.
CREATE VIRTUAL TABLE `audit_search` USING fts5(`detail`, content='', contentless_delete=1, tokenize='unicode61');
--> statement-breakpoint
CREATE TRIGGER `audit_search_insert` AFTER INSERT ON `audit_log` WHEN new.`detail` IS NOT NULL BEGIN
  INSERT INTO `audit_search`(rowid, `detail`) VALUES (new.`seq`, new.`detail`);
END;
--> statement-breakpoint
CREATE TRIGGER `audit_search_delete` AFTER DELETE ON `audit_log` BEGIN
  DELETE FROM `audit_search` WHERE rowid = old.`seq`;
END;
--> statement-breakpoint
INSERT INTO `audit_search`(rowid, `detail`) SELECT `seq`, `detail` FROM `audit_log` WHERE `detail` IS NOT NULL;
