-- Public search: q is a random 1-4 character substring of words that occur in the seeded
-- texts, URL-encoded, with a random limit like the filtered scenario (each thread draws its
-- limits from its own residue class, so threads never ask for the same URL).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local words = {
   "テレワーク", "在宅勤務", "研修会", "ワーケーション", "ＤＸ", "オンライン", "セミナー",
   "サテライトオフィス", "働き方改革", "コワーキングスペース", "相談会", "生成AI",
   "ペーパーレス", "補助金", "子育て", "介護", "勉強会", "講座", "中小企業", "導入",
   "支援", "無料", "株式会社", "市役所", "ウェビナー", "リモートワーク", "情報セキュリティ",
}
local queries

function init(args)
   bench.init_thread()
   local set = {}
   queries = {}
   for _, w in ipairs(words) do
      local cs = bench.chars(w)
      for i = 1, #cs do
         for len = 1, 4 do
            if i + len - 1 <= #cs then
               local q = table.concat(cs, "", i, i + len - 1)
               if not set[q] then
                  set[q] = true
                  queries[#queries + 1] = bench.urlencode(q)
               end
            end
         end
      end
   end
end

function request()
   local path = "/api/v1/public/activities?q=" .. queries[math.random(#queries)] ..
      "&limit=" .. bench.my_random(100)
   bench.track(path)
   return wrk.format("GET", path)
end
