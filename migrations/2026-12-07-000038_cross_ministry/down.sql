DROP FUNCTION crossmatch.elsewhere(uuid);
DROP FUNCTION crossmatch.forget();
DROP FUNCTION crossmatch.record_all();
DROP FUNCTION crossmatch.record(uuid);
DROP FUNCTION crossmatch.person_of(uuid);
DROP TABLE crossmatch.lookups;
DROP TABLE crossmatch.proposals;
DROP TABLE crossmatch.hash_key;
DROP SCHEMA crossmatch;
ALTER TABLE core.tenants DROP COLUMN cross_ministry;
-- The extension stays: the database may have had it before this migration.
