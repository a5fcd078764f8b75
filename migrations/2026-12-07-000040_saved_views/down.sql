DROP TABLE instruction.saved_views;
