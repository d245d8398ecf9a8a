CREATE TABLE `contact_versions` (
	`owner_id` text PRIMARY KEY NOT NULL,
	`version` text NOT NULL
);
