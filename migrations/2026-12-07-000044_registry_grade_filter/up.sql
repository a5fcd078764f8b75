-- The registry filtered by grade (issue 18, Build 4): laureates holding an award of a grade
-- (of a distinction when one is chosen). Without a name, a page walks the name order and
-- keeps the laureates with such an award; for a rare grade (« grand-croix ») the planner
-- reads the grade's awards from this index instead and sorts the few laureates found.
CREATE INDEX awards_by_grade ON registry.awards (tenant_id, grade, distinction, laureate_id);
