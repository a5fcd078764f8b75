DROP FUNCTION readlog.record(uuid, text, text[], uuid[], text, text, text);
DROP FUNCTION authz.units_and_version(uuid);
DROP FUNCTION core.request_context(uuid, uuid);
