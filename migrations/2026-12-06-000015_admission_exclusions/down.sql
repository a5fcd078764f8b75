DROP TABLE core.admission_exclusions;
