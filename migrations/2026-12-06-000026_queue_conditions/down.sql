DROP FUNCTION instruction.last_opinion_author(uuid, uuid, uuid);
DROP FUNCTION instruction.holds(uuid, uuid, uuid);
