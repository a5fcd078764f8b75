DROP TABLE intake.imported_proposals;
DROP TABLE intake.proposal_imports;
