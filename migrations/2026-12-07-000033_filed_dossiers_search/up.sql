-- Issue 18: « Mes dossiers » searched by the candidate's names (core.fold, migration 000032)
-- or the dossier's number, and read a page at a time, latest change first.
ALTER TABLE intake.dossiers
    ADD COLUMN folded_name text NOT NULL GENERATED ALWAYS AS (core.fold(
        coalesce(content->'candidate'->>'birth_name', '') || ' '
        || coalesce(content->'candidate'->>'usual_name', '') || ' '
        || coalesce(content->'candidate'->>'given_names', ''))) STORED;
-- The filed dossiers of a unit, latest change first (the pages' keyset).
CREATE INDEX dossiers_of_unit_latest ON intake.dossiers (tenant_id, unit_id, updated_at DESC, id DESC);
