-- Shared by submit.lua and approve.lua: every request acts on the next id of this thread's
-- share of BENCH_IDS, so each id is used once. When the ids run out, an unmeasured
-- preparation run (BENCH_PREP=1) stops the thread; a measured run starts over, the repeats
-- are answered 409, and `exhausted` tells bench/run that the run ran short of ids.

walk = {}

local rows, pos, stop_when_done

function walk.init()
   bench.init_thread()
   rows = bench.my_rows(bench.read_rows(os.getenv("BENCH_IDS")))
   pos = 0
   stop_when_done = os.getenv("BENCH_PREP") == "1"
end

-- The next row, or nil when a preparation run has used them all.
function walk.next_row()
   pos = pos + 1
   if pos > #rows then
      exhausted = 1
      if stop_when_done or #rows == 0 then
         wrk.thread:stop()
         return nil
      end
      pos = 1
   end
   return rows[pos]
end

-- What a thread sends after it was told to stop: a harmless read.
function walk.idle()
   return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
   bench.count_status(status)
end
