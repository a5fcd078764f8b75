DROP FUNCTION core.subtree(uuid, uuid[]);
DROP FUNCTION core.unit_in(uuid, uuid[]);
