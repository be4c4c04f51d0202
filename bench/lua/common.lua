-- Shared helpers for the benchmark scripts. Each script loads this file with
-- dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua"); it runs once in wrk's main
-- Lua state (setup/done) and once in every thread's state (init/request/response).

bench = {}

local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local all_threads = {}
local next_tid = 1

-- Thread bookkeeping: every thread gets `tid` (1-based) before it starts.
function setup(thread)
   thread:set("tid", next_tid)
   table.insert(all_threads, thread)
   next_tid = next_tid + 1
end

function bench.init_thread()
   tid = tid or 1
   math.randomseed(os.time() * 1000 + tid * 7919)
   distinct, generated, status_counts, exhausted = 0, 0, {}, 0
end

-- Lines of a file, each split on whitespace.
function bench.read_rows(path)
   local rows = {}
   local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
   for line in f:lines() do
      local row = {}
      for field in line:gmatch("%S+") do row[#row + 1] = field end
      if #row > 0 then rows[#rows + 1] = row end
   end
   f:close()
   return rows
end

-- The rows this thread owns: rows tid, tid + n, tid + 2n, ... so no row is used by two threads.
function bench.my_rows(rows)
   local mine = {}
   for i = tid, #rows, nthreads do mine[#mine + 1] = rows[i] end
   return mine
end

-- Percent-encodes every byte outside the unreserved set (UTF-8 text becomes %XX%XX%XX).
function bench.urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- The UTF-8 characters of a string.
function bench.chars(s)
   local out = {}
   for ch in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do out[#out + 1] = ch end
   return out
end

-- Picks uniformly from the part of 1..n this thread owns (tid, tid + nthreads, ...), so
-- threads ask for disjoint URLs and their distinct counts add up exactly.
function bench.my_random(n)
   local k = math.floor((n - tid) / nthreads) + 1
   return tid + nthreads * (math.random(k) - 1)
end

local seen = {}
-- Counts requests and distinct request paths (to judge how much of a run the response
-- cache could serve).
function bench.track(path)
   generated = generated + 1
   if not seen[path] then
      seen[path] = true
      distinct = distinct + 1
   end
end

function bench.count_status(status)
   status_counts[status] = (status_counts[status] or 0) + 1
end

-- Runs bench/lua/NAME.lua in an environment of its own (falling back to the globals, which
-- hold wrk, bench and tid) and returns that environment, with its init and request.
function bench.load_scenario(name)
   local chunk = assert(loadfile(os.getenv("BENCH_LUA_DIR") .. "/" .. name .. ".lua"))
   local env = setmetatable({}, { __index = _G })
   setfenv(chunk, env)
   chunk()
   return env
end

-- The sum over all threads of the number each keeps in the global NAME (main state only).
function bench.sum(name)
   local n = 0
   for _, t in ipairs(all_threads) do n = n + (t:get(name) or 0) end
   return n
end

-- Machine-readable lines for bench/run: "bench: key value".
function done(summary, latency, requests)
   local d, g, ex, u, statuses = 0, 0, 0, 0, {}
   for _, t in ipairs(all_threads) do
      u = u + (t:get("units") or 0)
      d = d + (t:get("distinct") or 0)
      g = g + (t:get("generated") or 0)
      ex = ex + (t:get("exhausted") or 0)
      local sc = t:get("status_counts")
      if sc then
         for code, n in pairs(sc) do statuses[code] = (statuses[code] or 0) + n end
      end
   end
   io.write(string.format("bench: distinct %d\n", d))
   io.write(string.format("bench: generated %d\n", g))
   io.write(string.format("bench: exhausted %d\n", ex))
   io.write(string.format("bench: units %d\n", u))
   for code, n in pairs(statuses) do io.write(string.format("bench: status %d %d\n", code, n)) end
end
