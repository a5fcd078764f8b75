DROP INDEX registry.awards_by_grade;
