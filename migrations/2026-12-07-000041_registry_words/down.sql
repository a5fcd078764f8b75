DROP VIEW registry.laureate_words_v1;
DROP TRIGGER words_of_changed ON registry.laureates;
DROP TRIGGER words_of_added ON registry.laureates;
DROP FUNCTION registry.words_of_changed();
DROP FUNCTION registry.words_of_added();
DROP TABLE registry.laureate_words;
