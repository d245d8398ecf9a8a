CREATE TABLE `cors_origins` (
	`id` text PRIMARY KEY NOT NULL,
	`origin` text NOT NULL,
	`note` text,
	`allow_credentials` integer DEFAULT false NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `cors_origins_origin_unique` ON `cors_origins` (`origin`);--> statement-breakpoint
CREATE TABLE `traffic_counters` (
	`metric` text NOT NULL,
	`key` text DEFAULT '' NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`metric`, `key`, `bucket`)
);
--> statement-breakpoint
CREATE INDEX `traffic_bucket_idx` ON `traffic_counters` (`bucket`);--> statement-breakpoint
ALTER TABLE `audit_log` ADD `area` text GENERATED ALWAYS AS (substr(action, 1, instr(action, '.') - 1)) VIRTUAL;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `prev_hash` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `hash` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `audit_area_idx` ON `audit_log` (`area`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_target_idx` ON `audit_log` (`target_id`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_outcome_idx` ON `audit_log` (`outcome`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_ip_idx` ON `audit_log` (`ip`,`seq`);--> statement-breakpoint
CREATE INDEX `audit_request_idx` ON `audit_log` (`request_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `audit_prev_hash_unique` ON `audit_log` (`prev_hash`) WHERE "audit_log"."prev_hash" <> '';
