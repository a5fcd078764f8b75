DROP FUNCTION intake.possible_duplicates(uuid, uuid, text[], real, integer);
DROP TABLE instruction.duplicate_reviews;
-- A view's columns cannot be dropped by CREATE OR REPLACE: both views are made again.
DROP VIEW registry.laureates_v1;
CREATE VIEW registry.laureates_v1 WITH (security_invoker = false) AS
    SELECT l.tenant_id, l.id, l.identity, l.folded_name, l.sort_name
    FROM registry.laureates l
    WHERE l.tenant_id = core.current_tenant();
GRANT SELECT ON registry.laureates_v1 TO napoleon_app, napoleon_service;
DROP VIEW intake.dossiers_v1;
CREATE VIEW intake.dossiers_v1 WITH (security_invoker = false) AS
    SELECT d.tenant_id, d.id, d.campaign_id, c.distinction, d.unit_id, d.level_unit_id,
           d.state, d.number, d.target_grade, d.content, d.laureate_id, d.submitted_at,
           d.updated_at
    FROM intake.dossiers d
    JOIN intake.campaigns c ON c.tenant_id = d.tenant_id AND c.id = d.campaign_id;
GRANT SELECT ON intake.dossiers_v1 TO napoleon_app, napoleon_service;
DROP INDEX registry.laureates_by_birth;
DROP INDEX registry.laureates_by_name_key;
ALTER TABLE registry.laureates DROP COLUMN born, DROP COLUMN name_key;
DROP INDEX intake.dossiers_by_birth;
DROP INDEX intake.dossiers_by_person;
ALTER TABLE intake.dossiers DROP COLUMN born, DROP COLUMN name_key;
DROP FUNCTION core.name_key(text, text);
DROP FUNCTION core.iso_date(text);
DROP FUNCTION core.name_similarity(text, text);
-- The extension stays: the database may have had it before this migration.
