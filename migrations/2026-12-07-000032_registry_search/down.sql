DROP VIEW registry.laureates_v1;
DROP INDEX registry.awards_by_distinction;
DROP INDEX registry.laureates_in_name_order;
DROP INDEX registry.laureates_folded_name;
ALTER TABLE registry.laureates DROP COLUMN sort_name, DROP COLUMN folded_name;
DROP FUNCTION core.fold(text);
DROP EXTENSION IF EXISTS pg_trgm;
DROP EXTENSION IF EXISTS unaccent;
DROP SCHEMA IF EXISTS ext;
