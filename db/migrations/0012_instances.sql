CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`started_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`workers` integer NOT NULL,
	`store` text NOT NULL,
	`version` text NOT NULL
);
