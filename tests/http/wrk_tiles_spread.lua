-- wrk script of tests/http/test_nginx.py: tiles of zoom 12 to 15 around
-- the Zibo sites, each zoom's tiles in turn over a 16 x 16 tile window
-- at zoom 12 (64 x 64 tiles at zoom 14, 128 x 128 at 15), so that many
-- requests miss the nginx cache and reach a replica, and some come back.
local n = 0

request = function()
  n = n + 1
  local z = 12 + (n % 4)
  local span = 2 ^ (z - 12)
  local side = 16 * span
  local k = math.floor(n / 4) % (side * side)
  local x = 3384 * span + k % side
  local y = 1590 * span + math.floor(k / side)
  return wrk.format("GET", string.format("/tiles/%d/%d/%d.png", z, x, y))
end
