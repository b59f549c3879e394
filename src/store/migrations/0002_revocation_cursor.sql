CREATE SEQUENCE "public"."session_revocations" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "revocation_seq" bigint;--> statement-breakpoint
CREATE INDEX "sessions_revocation_seq_idx" ON "sessions" USING btree ("revocation_seq");--> statement-breakpoint
-- Sessions revoked before this migration get numbers too, in the order they were revoked.
UPDATE "sessions" SET "revocation_seq" = n.seq FROM (SELECT "id", nextval('session_revocations') AS seq FROM (SELECT "id" FROM "sessions" WHERE "revoked_at" IS NOT NULL ORDER BY "revoked_at") o) n WHERE "sessions"."id" = n."id";
