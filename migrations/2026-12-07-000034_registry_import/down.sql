DROP FUNCTION jobs.lease(text, text[], timestamptz, integer);
ALTER FUNCTION jobs.lease_kinds(text, text[], timestamptz, integer) RENAME TO lease;
GRANT EXECUTE ON FUNCTION jobs.lease(text, text[], timestamptz, integer) TO napoleon_app,
    napoleon_worker;
DROP POLICY decisions_runs_registry_imports_only ON jobs.jobs;
REVOKE SELECT, INSERT, UPDATE ON jobs.jobs FROM napoleon_decisions;
REVOKE DELETE ON registry.laureates, registry.awards FROM napoleon_app, napoleon_decisions;
DROP TABLE registry.service_periods;
DROP INDEX registry.awards_of_import;
DROP INDEX registry.awards_natural_key;
ALTER TABLE registry.awards DROP COLUMN import_id;
DROP INDEX registry.laureates_of_import;
DROP INDEX registry.laureates_by_person;
ALTER TABLE registry.laureates DROP COLUMN import_id, DROP COLUMN person_key;
DROP FUNCTION registry.person_key(jsonb);
DROP TABLE registry.import_problems;
DROP TABLE registry.imports;
