DROP FUNCTION intake.record_piece_scan(uuid, text, text);
DROP FUNCTION intake.piece_for_scan(uuid);
DROP TABLE intake.attachments;
