-- Write path: the owner submits a draft (POST /api/v1/activities/{id}/submit, version 1).
-- BENCH_IDS has lines "activity_id account_id"; BENCH_TOKENS "account_id access_token".
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
dofile(os.getenv("BENCH_LUA_DIR") .. "/walk.lua")

local token_of = {}

function init(args)
   walk.init()
   for _, row in ipairs(bench.read_rows(os.getenv("BENCH_TOKENS"))) do
      token_of[row[1]] = row[2]
   end
end

function request()
   local row = walk.next_row()
   if not row then return walk.idle() end
   return wrk.format("POST", "/api/v1/activities/" .. row[1] .. "/submit", {
      ["Authorization"] = "Bearer " .. token_of[row[2]],
      ["Content-Type"] = "application/json",
   }, '{"version":1}')
end
