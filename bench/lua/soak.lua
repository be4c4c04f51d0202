-- Soak: mixed reads and writes in one run. Every request picks its kind at random by weight:
--   page1     GET /api/v1/public/activities
--   filtered  random category x prefecture x limit         (filtered.lua)
--   by_id     a public activity by id from BENCH_IDS         (by_id.lua)
--   search    a random 1-4 character substring as q          (search.lua)
--   mine      a registrant's own list, GET /api/v1/activities
--   create    a registrant creates a draft                   (create.lua)
-- The scenario scripts are loaded unchanged, each into its own environment, and their
-- request() is called from here. BENCH_MIX overrides the weights, e.g.
-- "page1=15,filtered=20,by_id=25,search=5,mine=25,create=10"; BENCH_IDS and BENCH_TOKENS
-- (lines "account_id access_token") are read as by by_id.lua and create.lua.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local KINDS = { "page1", "filtered", "by_id", "search", "mine", "create" }
local DEFAULT_MIX = "page1=15,filtered=20,by_id=25,search=5,mine=25,create=10"

-- "name=weight,..." → cumulative table { { name, upper bound }, ... } and the total weight.
local function parse_mix(spec)
   local known, weights = {}, {}
   for _, k in ipairs(KINDS) do known[k] = true end
   for name, w in spec:gmatch("([%w_]+)%s*=%s*(%d+)") do
      assert(known[name], "unknown kind in BENCH_MIX: " .. name)
      weights[name] = tonumber(w)
   end
   local cumulative, total = {}, 0
   for _, k in ipairs(KINDS) do
      if (weights[k] or 0) > 0 then
         total = total + weights[k]
         cumulative[#cumulative + 1] = { k, total }
      end
   end
   assert(total > 0, "BENCH_MIX has no positive weight: " .. spec)
   return cumulative, total
end

local mix_spec = os.getenv("BENCH_MIX")
if mix_spec == nil or mix_spec == "" then mix_spec = DEFAULT_MIX end
local mix, mix_total = parse_mix(mix_spec)

local builders = {}
local tokens

function init(args)
   bench.init_thread()
   for _, name in ipairs({ "filtered", "by_id", "search", "create" }) do
      local scenario = bench.load_scenario(name)
      scenario.init(args)
      builders[name] = scenario.request
   end
   -- The scenario scripts reset the shared counters in their init: start them afresh once.
   bench.init_thread()
   kind_counts = {}
   tokens = bench.read_rows(os.getenv("BENCH_TOKENS"))
   builders.page1 = function() return wrk.format("GET", "/api/v1/public/activities") end
   builders.mine = function()
      return wrk.format("GET", "/api/v1/activities", {
         ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)][2],
      })
   end
end

function request()
   local r, kind = math.random(mix_total), nil
   for _, entry in ipairs(mix) do
      if r <= entry[2] then
         kind = entry[1]
         break
      end
   end
   kind_counts[kind] = (kind_counts[kind] or 0) + 1
   return builders[kind]()
end

function response(status, headers, body)
   bench.count_status(status)
end

-- Adds "soak: mix KIND N" lines (requests sent per kind) to common.lua's summary.
local threads = {}
local common_setup, common_done = setup, done

function setup(thread)
   common_setup(thread)
   threads[#threads + 1] = thread
end

function done(summary, latency, requests)
   common_done(summary, latency, requests)
   local totals = {}
   for _, t in ipairs(threads) do
      for kind, n in pairs(t:get("kind_counts") or {}) do totals[kind] = (totals[kind] or 0) + n end
   end
   io.write(string.format("soak: weights %s\n", (mix_spec:gsub("%s", ""))))
   for _, kind in ipairs(KINDS) do
      io.write(string.format("soak: mix %s %d\n", kind, totals[kind] or 0))
   end
end
