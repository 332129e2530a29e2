-- wrk script of tests/http/test_load.py: the cheap requests a map page
-- makes, in turn (tiles from the cache, a page of items, nearest sites,
-- TileJSON, liveness).
local paths = {
  "/tiles/14/13566/6389.png",
  "/tiles/14/13566/6389@2x.png",
  "/collections/sites/items?limit=10",
  "/nearest?lat=36.85&lon=118.1&limit=5",
  "/tiles.json",
  "/healthz",
}
local i = 0

request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
