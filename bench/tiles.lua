-- wrk script: cycles through the tile URLs in the file named by $URLS, one path per line.
local paths = {}
for line in io.lines(os.getenv("URLS")) do paths[#paths + 1] = line end
local counter = 0
local token = os.getenv("TOKEN")
local headers = {}
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end

request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("status: %d requests, %d errors (connect %d, read %d, status %d)\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.status))
end
