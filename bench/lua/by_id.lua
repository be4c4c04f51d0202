-- One public activity by id, drawn at random from approved ids (file BENCH_IDS, one per
-- line); each thread draws from its own share of the ids.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local ids

function init(args)
   bench.init_thread()
   ids = bench.my_rows(bench.read_rows(os.getenv("BENCH_IDS")))
end

function request()
   local path = "/api/v1/public/activities/" .. ids[math.random(#ids)][1]
   bench.track(path)
   return wrk.format("GET", path)
end
