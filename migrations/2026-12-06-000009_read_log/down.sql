DROP TABLE readlog.reads;
DROP SCHEMA readlog;
