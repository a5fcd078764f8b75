-- Idempotency keys on every create (issue 14): a campaign created again with the key of an
-- earlier request answers the campaign that request created. Proposals from the radar create
-- dossiers, so they already fit the table; campaigns need their own column.
--
-- One row names exactly one thing created: a dossier or a campaign.
ALTER TABLE intake.idempotency_keys ALTER COLUMN dossier_id DROP NOT NULL;
ALTER TABLE intake.idempotency_keys ADD COLUMN campaign_id uuid;
ALTER TABLE intake.idempotency_keys
    ADD CONSTRAINT idempotency_keys_campaign_fkey
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES intake.campaigns (tenant_id, id);
ALTER TABLE intake.idempotency_keys
    ADD CONSTRAINT idempotency_keys_one_creation CHECK (num_nonnulls(dossier_id, campaign_id) = 1);
