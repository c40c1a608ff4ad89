-- What each phone last reported of itself at a pull (SQLite's 014): one JSON document
-- (`store::DeviceReport`), replaced whole at each report; NULL until the phone's first report.
-- Kept as the text SQLite keeps, so both backends show it alike.
ALTER TABLE devices ADD COLUMN report text COLLATE "C";
