-- wrk script for bench/run.sh: GET /v1/task/{id}/latest with the API key, rotating over the
-- task IDs as a tasksyncd pass does, so wrk measures the same requests on the same fake API.
-- usage: wrk -t2 -c4 -d10s -s bench/latest.lua BASE_URL -- IDS_FILE API_KEY

local threads = 0

-- Runs in the main Lua state once per thread, before init: numbers the threads.
function setup(thread)
  thread:set("thread_number", threads)
  threads = threads + 1
end

local ids = {}
local position = 0

function init(args)
  for line in io.lines(args[1]) do ids[#ids + 1] = line end
  wrk.headers["anchor-api-key"] = args[2]
  -- Threads start far apart, so they don't ask for the same task at the same time.
  position = (thread_number * 7919) % #ids
end

-- No response() callback: wrk counts non-2xx answers itself, and a Lua call per answer would slow it.
function request()
  position = position % #ids + 1
  return wrk.format("GET", "/v1/task/" .. ids[position] .. "/latest")
end
