-- Write path as one unit: a registrant creates a draft (POST /api/v1/activities, as in
-- create.lua) and then submits it (POST /api/v1/activities/{id}/submit, version 1) with the
-- id the 201 answer carried. Every thread keeps the drafts it has created but not yet
-- submitted and sends a submit whenever one is waiting, a create otherwise; a unit is
-- done when its submit answers 200. scale.lua drives the same unit through next_submit,
-- next_create and note_created.
dofile(os.getenv("BENCH_LUA_DIR") .. "/create.lua")

local create_request = request
local owner_of = {}
local waiting = {}

-- The submit of a draft created earlier, or nil when none is waiting.
function next_submit()
   local job = table.remove(waiting)
   if not job then return nil end
   return wrk.format("POST", "/api/v1/activities/" .. job.id .. "/submit", {
      ["Authorization"] = "Bearer " .. job.token,
      ["Content-Type"] = "application/json",
   }, '{"version":1}')
end

function next_create()
   local req = create_request()
   owner_of[last_n] = last_token
   return req
end

-- Queues the submit of the draft a 201 answer carries.
function note_created(body)
   local id = body:match('"id":"([%x%-]+)"')
   local n = tonumber(body:match('（' .. tid .. '%-(%d+)）'))
   local token = n and owner_of[n]
   if id and token then
      owner_of[n] = nil
      waiting[#waiting + 1] = { id = id, token = token }
   end
end

function request()
   return next_submit() or next_create()
end

function response(status, headers, body)
   bench.count_status(status)
   if status == 201 then note_created(body) end
end
