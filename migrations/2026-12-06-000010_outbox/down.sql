DROP TABLE outbox.messages;
DROP SCHEMA outbox;
