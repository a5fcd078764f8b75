DROP FUNCTION intake.number_and_submit(uuid, uuid, text, text, text);
