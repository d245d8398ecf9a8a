ALTER TABLE `oauth_pending_authorizations` ADD `resource` text;--> statement-breakpoint
ALTER TABLE `oauth_grants` ADD `resource` text;--> statement-breakpoint
ALTER TABLE `oauth_authorization_codes` ADD `resource` text;