DROP SCHEMA promotion, decisions, instruction, intake CASCADE;
DROP SCHEMA journal CASCADE;
DROP SCHEMA core CASCADE;
