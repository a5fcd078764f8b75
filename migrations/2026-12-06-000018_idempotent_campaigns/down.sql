-- The owner is subject to the table's forced row-level security (no tenant is set here):
-- lift it for the cleanup, or the DELETE would see no row and SET NOT NULL would fail.
ALTER TABLE intake.idempotency_keys NO FORCE ROW LEVEL SECURITY;
DELETE FROM intake.idempotency_keys WHERE campaign_id IS NOT NULL;
ALTER TABLE intake.idempotency_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE intake.idempotency_keys DROP CONSTRAINT idempotency_keys_one_creation;
ALTER TABLE intake.idempotency_keys DROP COLUMN campaign_id;
ALTER TABLE intake.idempotency_keys ALTER COLUMN dossier_id SET NOT NULL;
