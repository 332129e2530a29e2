-- wrk script: GET random tiles of the benchmark list (fixed seed, so every
-- server sees the same sequence).  TILES names a file of z/x/y lines.
local paths = {}
for line in io.lines(os.getenv("TILES")) do
  paths[#paths + 1] = "/tiles/" .. line .. ".png"
end
math.randomseed(42)
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
