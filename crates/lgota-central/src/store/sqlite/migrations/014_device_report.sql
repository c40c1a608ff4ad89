-- What each phone last reported of itself at a pull (issue 16, 17): app, configuration and
-- content versions, the PIN policy kept or not, the last content pack refused. One JSON document
-- (`store::DeviceReport`), replaced whole at each report; NULL until the phone's first report.
ALTER TABLE devices ADD COLUMN report TEXT;
