-- Scale-out: reads, and with BENCH_WRITE_PERCENT > 0 writes, against any number of server
-- processes sharing one port. A read is public page 1, a filtered page (filtered.lua) or an
-- activity by id (by_id.lua, BENCH_IDS), a third each. A write is the unit of
-- create_submit.lua: a registrant (BENCH_TOKENS) creates a draft and then submits it,
-- version 1, with the id the 201 carried. A submit waiting is always sent first; otherwise
-- BENCH_WRITE_PERCENT percent of requests are creates.
--
-- Adds "bench: created N" (201 answers to creates) and "bench: submitted N" (200 answers
-- to submits) to common.lua's summary, for the check against the database.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local write_percent = tonumber(os.getenv("BENCH_WRITE_PERCENT") or "0")
local reads = {}
local unit
local scale_request, scale_response

function init(args)
   bench.init_thread()
   local filtered, by_id = bench.load_scenario("filtered"), bench.load_scenario("by_id")
   filtered.init(args)
   by_id.init(args)
   reads = {
      function() return wrk.format("GET", "/api/v1/public/activities") end,
      filtered.request,
      by_id.request,
   }
   if write_percent > 0 then
      unit = bench.load_scenario("create_submit")
      unit.init(args)
      -- create_submit.lua's dofile of create.lua defined wrk's hooks globally: take them back.
      request, response = scale_request, scale_response
   end
   -- The scenario scripts reset the shared counters in their init: start them afresh once.
   bench.init_thread()
   created, submitted = 0, 0
end

function scale_request()
   if unit then
      local submit = unit.next_submit()
      if submit then return submit end
      if math.random(100) <= write_percent then return unit.next_create() end
   end
   return reads[math.random(#reads)]()
end

function scale_response(status, headers, body)
   bench.count_status(status)
   if status == 201 and unit then
      created = created + 1
      unit.note_created(body)
   elseif status == 200 and body:find('"status":"pending"', 1, true) then
      submitted = submitted + 1
   end
end

request, response = scale_request, scale_response

local common_done = done

function done(summary, latency, requests)
   common_done(summary, latency, requests)
   io.write(string.format("bench: created %d\nbench: submitted %d\n", bench.sum("created"), bench.sum("submitted")))
end
