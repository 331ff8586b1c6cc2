-- The SHA-256 of the file each company's rows came from: a file that is longer now and whose first
-- bytes (the recorded size) still hash to it only gained rows, and its load sends only the new
-- ones (pipeline/read-file.ts). Rows recorded before this column have none and are read whole once.
ALTER TABLE stockflow.loaded_files ADD COLUMN IF NOT EXISTS sha256 text;
