DROP TABLE intake.idempotency_keys;
DROP TRIGGER bump_version ON intake.dossiers;
DROP FUNCTION intake.bump_version();
ALTER TABLE intake.dossiers DROP COLUMN version;
