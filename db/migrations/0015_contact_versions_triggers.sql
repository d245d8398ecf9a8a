-- Custom SQL migration file, put your code below! --
-- Every change to a contact gives its owner's row in contact_versions a new
-- random value (db/schema/contact-versions.ts says why and who reads it).
-- Triggers, not the service, so that no path that writes contacts (the
-- services, key rotation, `db copy`, an operator's SQL) can leave a
-- remembered page looking current. drizzle's schema cannot describe
-- triggers: keep this as its own migration when squashing the generated ones.
CREATE TRIGGER `contacts_version_insert` AFTER INSERT ON `contacts` BEGIN
  INSERT INTO `contact_versions` (`owner_id`, `version`) VALUES (new.`owner_id`, lower(hex(randomblob(16))))
    ON CONFLICT (`owner_id`) DO UPDATE SET `version` = excluded.`version`;
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_version_update` AFTER UPDATE ON `contacts` BEGIN
  INSERT INTO `contact_versions` (`owner_id`, `version`) VALUES (old.`owner_id`, lower(hex(randomblob(16))))
    ON CONFLICT (`owner_id`) DO UPDATE SET `version` = excluded.`version`;
  INSERT INTO `contact_versions` (`owner_id`, `version`) VALUES (new.`owner_id`, lower(hex(randomblob(16))))
    ON CONFLICT (`owner_id`) DO UPDATE SET `version` = excluded.`version`;
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_version_delete` AFTER DELETE ON `contacts` BEGIN
  INSERT INTO `contact_versions` (`owner_id`, `version`) VALUES (old.`owner_id`, lower(hex(randomblob(16))))
    ON CONFLICT (`owner_id`) DO UPDATE SET `version` = excluded.`version`;
END;
--> statement-breakpoint
-- Owners whose contacts were written before these triggers.
INSERT INTO `contact_versions` (`owner_id`, `version`)
  SELECT `owner_id`, lower(hex(randomblob(16))) FROM (SELECT DISTINCT `owner_id` FROM `contacts`) WHERE true
  ON CONFLICT (`owner_id`) DO UPDATE SET `version` = excluded.`version`;
