-- Public listing with a random category x prefecture x limit on every request (each thread
-- draws its limits from its own residue class, so threads never ask for the same URL).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local categories = { "try_practice", "learn_discuss", "support_cooperate" }

function init(args)
   bench.init_thread()
end

function request()
   local path = string.format("/api/v1/public/activities?category=%s&prefecture=%02d&limit=%d",
      categories[math.random(#categories)], math.random(47), bench.my_random(100))
   bench.track(path)
   return wrk.format("GET", path)
end
