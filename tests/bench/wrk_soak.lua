-- wrk script of tests/bench/soak.py: random cheap requests over the data
-- (synthetic sites clustered over China) - tiles at zoom 5-16, most of
-- them cold renders, so that the tile cache churns; pages of items;
-- nearest sites anywhere on Earth, the poles and the antipodes included;
-- TileJSON.
local function tile()
  local z = math.random(5, 16)
  local lon = 73 + math.random() * 62
  local lat = 18 + math.random() * 35
  local n = 2 ^ z
  local x = math.floor((lon + 180) / 360 * n)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  local scale = math.random(2) == 1 and "" or "@2x"
  return string.format("/tiles/%d/%d/%d%s.png", z, x, y, scale)
end

request = function()
  local r = math.random(10)
  local path
  if r <= 5 then
    path = tile()
  elseif r <= 7 then
    path = string.format("/collections/sites/items?limit=20&offset=%d", math.random(0, 5000))
  elseif r <= 9 then
    path = string.format("/nearest?lat=%.4f&lon=%.4f&limit=10", math.random() * 180 - 90, math.random() * 360 - 180)
  else
    path = "/tiles.json"
  end
  return wrk.format("GET", path)
end
