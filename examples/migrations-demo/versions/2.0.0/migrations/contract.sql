-- Contract: nothing older than 2.0.0 runs any more, so the old column and its bridges go.
DROP TRIGGER items_title_from_name;
DROP TRIGGER items_name_from_title;
ALTER TABLE items DROP COLUMN name;
