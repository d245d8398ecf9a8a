CREATE TABLE `rate_limit_counters` (
	`key` text PRIMARY KEY NOT NULL,
	`points` integer DEFAULT 0 NOT NULL,
	`expire` integer
);
--> statement-breakpoint
CREATE INDEX `rate_limit_counters_expire_idx` ON `rate_limit_counters` (`expire`);--> statement-breakpoint
CREATE TABLE `rate_limit_lockouts` (
	`subject` text PRIMARY KEY NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`failures_until` integer DEFAULT 0 NOT NULL,
	`level` integer DEFAULT 0 NOT NULL,
	`level_until` integer DEFAULT 0 NOT NULL,
	`locked_until` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rate_limit_lockouts_locked_idx` ON `rate_limit_lockouts` (`locked_until`);--> statement-breakpoint
CREATE TABLE `rate_limit_overrides` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text,
	`token_id` text,
	`limit` integer NOT NULL,
	`window_ms` integer NOT NULL,
	`expires_at` integer,
	`note` text,
	`set_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`token_id`) REFERENCES `api_tokens`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "rate_limit_overrides_one_subject" CHECK(("rate_limit_overrides"."user_id" IS NULL) <> ("rate_limit_overrides"."token_id" IS NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `rate_limit_overrides_user_unique` ON `rate_limit_overrides` (`user_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `rate_limit_overrides_token_unique` ON `rate_limit_overrides` (`token_id`);--> statement-breakpoint
CREATE TABLE `rate_limit_rejections` (
	`minute` integer NOT NULL,
	`subject` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`minute`, `subject`)
);
