DELETE FROM intake.idempotency_keys WHERE campaign_id IS NOT NULL;
ALTER TABLE intake.idempotency_keys DROP CONSTRAINT idempotency_keys_one_creation;
ALTER TABLE intake.idempotency_keys DROP COLUMN campaign_id;
ALTER TABLE intake.idempotency_keys ALTER COLUMN dossier_id SET NOT NULL;
