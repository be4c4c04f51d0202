-- Write path: a moderator approves a pending submission
-- (POST /api/v1/moderation/activities/{id}/approve, version 2). BENCH_IDS has one id per
-- line; BENCH_TOKEN is the moderator's access token.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
dofile(os.getenv("BENCH_LUA_DIR") .. "/walk.lua")

local token

function init(args)
   walk.init()
   token = os.getenv("BENCH_TOKEN")
end

function request()
   local row = walk.next_row()
   if not row then return walk.idle() end
   return wrk.format("POST", "/api/v1/moderation/activities/" .. row[1] .. "/approve", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }, '{"version":2}')
end
