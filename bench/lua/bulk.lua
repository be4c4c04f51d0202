-- Bulk approve: each request approves the next BENCH_BULK_SIZE (default 500) pending
-- submissions of this thread's share of BENCH_IDS through POST /api/v1/moderation/bulk,
-- under a fresh Idempotency-Key. `units` counts the items the answers say were decided.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
dofile(os.getenv("BENCH_LUA_DIR") .. "/walk.lua")

local token, size, sent

function init(args)
   walk.init()
   token = os.getenv("BENCH_TOKEN")
   size = tonumber(os.getenv("BENCH_BULK_SIZE") or "500")
   sent, units = 0, 0
end

function request()
   local items = {}
   for _ = 1, size do
      local row = walk.next_row()
      if not row then break end
      items[#items + 1] = '{"id":"' .. row[1] .. '","version":2}'
   end
   if #items == 0 then return walk.idle() end
   sent = sent + 1
   return wrk.format("POST", "/api/v1/moderation/bulk", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = string.format("bench-%d-%d-%d", tid, os.time(), sent),
   }, '{"action":"approve","items":[' .. table.concat(items, ",") .. ']}')
end

function response(status, headers, body)
   bench.count_status(status)
   local n = status == 200 and tonumber(body:match('^{"decided":(%d+)'))
   if n then units = units + n end
end
