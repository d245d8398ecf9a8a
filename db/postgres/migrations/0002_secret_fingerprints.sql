CREATE TABLE "secret_fingerprints" (
	"name" text COLLATE "C" PRIMARY KEY NOT NULL,
	"fingerprint" text COLLATE "C" NOT NULL,
	"created_at" bigint NOT NULL
);
