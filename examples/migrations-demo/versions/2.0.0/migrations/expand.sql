-- Expand: add the new column, backfill it, and keep both columns in step while 1.0.0 and
-- 2.0.0 may both run (during the deploy, and after a rollback): whichever a version writes,
-- the other is filled in.
ALTER TABLE items ADD COLUMN title TEXT;
UPDATE items SET title = name;
CREATE TRIGGER items_title_from_name AFTER INSERT ON items WHEN NEW.title IS NULL
  BEGIN UPDATE items SET title = NEW.name WHERE rowid = NEW.rowid; END;
CREATE TRIGGER items_name_from_title AFTER INSERT ON items WHEN NEW.name IS NULL
  BEGIN UPDATE items SET name = NEW.title WHERE rowid = NEW.rowid; END;
