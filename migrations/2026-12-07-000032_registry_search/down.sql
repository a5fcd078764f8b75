DROP VIEW registry.laureates_v1;
DROP INDEX registry.awards_by_distinction;
DROP INDEX registry.laureates_in_name_order;
ALTER TABLE registry.laureates DROP COLUMN sort_name, DROP COLUMN folded_name;
DROP FUNCTION core.fold(text);
-- The extension stays: the database may have had it before this migration.
