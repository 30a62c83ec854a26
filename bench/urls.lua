-- wrk script: each request takes the next path from the file named by $WRK_PATHS.
-- With WRK_CLOSE=1 every request comes on a new connection (for warming every worker).
local paths = {}
local headers = { ["Accept-Encoding"] = "gzip" }
if os.getenv("WRK_CLOSE") == "1" then headers["Connection"] = "close" end
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local counter = 0
request = function()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter], headers)
end
