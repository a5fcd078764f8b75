DROP INDEX intake.dossiers_of_unit_latest;
ALTER TABLE intake.dossiers DROP COLUMN folded_name;
