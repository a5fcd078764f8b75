DROP FUNCTION readlog.purge(timestamptz);
DROP TABLE readlog.reads;
DROP SCHEMA readlog;
