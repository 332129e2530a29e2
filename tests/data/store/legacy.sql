-- A sites database as mapsvc wrote it before the position columns existed
-- (the schema of store.c at that time, verbatim), with the kinds of rows
-- it could hold.  test_store.c runs it with SpatiaLite loaded.
SELECT InitSpatialMetadata(1);
CREATE TABLE sites ( id TEXT PRIMARY KEY NOT NULL, name_zh TEXT NOT NULL, name_en TEXT NOT NULL DEFAULT '', category TEXT NOT NULL, county TEXT NOT NULL DEFAULT '', town TEXT NOT NULL DEFAULT '', address TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '', opening_hours TEXT NOT NULL DEFAULT '', coord_source TEXT NOT NULL DEFAULT '', confidence TEXT NOT NULL DEFAULT '', source_url TEXT NOT NULL DEFAULT '', lat REAL NOT NULL, lon REAL NOT NULL, extra TEXT NOT NULL DEFAULT '{}');
SELECT AddGeometryColumn('sites', 'geom', 4326, 'POINT', 'XY', 1);
SELECT CreateSpatialIndex('sites', 'geom');
-- confidence as data/README.md defined it; opening_hours held the source's
-- free text then, or by chance a value in OpenStreetMap's syntax
INSERT INTO sites (id, name_zh, category, confidence, opening_hours, lat, lon, geom)
  VALUES ('old-exact', '旧馆', 'museum', 'exact', '周二至周日 9:00-17:00', 36.5, 118.25, MakePoint(118.25, 36.5, 4326));
INSERT INTO sites (id, name_zh, category, confidence, opening_hours, lat, lon, geom)
  VALUES ('old-approx', '旧碑', 'monument', 'approximate', 'Mo-Fr 09:00-17:00', 39.379379, 99.826863, MakePoint(99.826863, 39.379379, 4326));
INSERT INTO sites (id, name_zh, category, lat, lon, extra, geom)
  VALUES ('old-none', '旧址', 'former_site', 36.9, 118.1, '{"website":"http://o.example/"}', MakePoint(118.1, 36.9, 4326));
-- a CSV with the position columns imported by that version: they became
-- extra properties (as strings), and are the model's columns now
INSERT INTO sites (id, name_zh, category, confidence, lat, lon, extra, geom)
  VALUES ('old-extras', '旧园', 'martyrs_cemetery', 'approximate', 36.8, 118.0,
          '{"note":"x","position_quality":"village","position_uncertainty_m":"800","rank":"2"}', MakePoint(118.0, 36.8, 4326));
