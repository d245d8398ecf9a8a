CREATE TABLE "contact_versions" (
	"owner_id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"version" text COLLATE "C" NOT NULL
);
