CREATE TABLE `reencryption_jobs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`target_key_id` text NOT NULL,
	`status` text NOT NULL,
	`total` integer NOT NULL,
	`done` integer NOT NULL,
	`cursor_table` text,
	`cursor_id` text,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
ALTER TABLE `contacts` ADD `email_index` text;--> statement-breakpoint
CREATE INDEX `contacts_owner_email_index_idx` ON `contacts` (`owner_id`,`email_index`);