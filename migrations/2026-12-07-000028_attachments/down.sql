DROP POLICY intake_enqueues_scans ON jobs.jobs;
REVOKE INSERT ON jobs.jobs FROM napoleon_intake;
DROP FUNCTION intake.record_piece_scan(uuid, text, text);
DROP FUNCTION intake.piece_for_scan(uuid);
DROP TABLE intake.attachments;
