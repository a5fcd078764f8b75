DROP VIEW instruction.opinions_v1;
