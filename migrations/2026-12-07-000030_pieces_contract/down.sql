DROP VIEW intake.pieces_v1;
