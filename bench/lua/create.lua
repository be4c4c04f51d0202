-- Write path: a registrant creates a draft (POST /api/v1/activities). Registrants are
-- drawn at random from BENCH_TOKENS (lines "account_id access_token").
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tokens
local categories = { "try_practice", "learn_discuss", "support_cooperate" }
local formats = { "online", "onsite", "hybrid" }
local titles = {
   "在宅勤務の試行", "テレワーク導入セミナー", "サテライトオフィス勤務実証", "オンライン商談会",
   "ワーケーション体験プログラム", "ＤＸ人材育成ワークショップ", "Web会議マナー講座",
   "子育て世代のための在宅勤務相談会", "テレワーク時代の労務管理講座", "ペーパーレス会議チャレンジ",
}
local sentences = {
   "通勤時間を削減し、生産性とワークライフバランスの向上を目指します。",
   "期間中は原則として出社せず、Web会議とチャットで業務を進めます。",
   "参加費は無料です。どなたでもお気軽にご参加ください。",
   "地域の中小企業や自治体と連携し、導入のノウハウを共有します。",
   "実施後は社員アンケートで効果を検証し、結果を社外にも公開します。",
}
local n = 0

function init(args)
   bench.init_thread()
   tokens = bench.read_rows(os.getenv("BENCH_TOKENS"))
end

-- The token and number (in the title as "（tid-n）") of the last draft asked for.
last_token, last_n = nil, 0

function request()
   n = n + 1
   local token = tokens[math.random(#tokens)][2]
   last_token, last_n = token, n
   local body = string.format(
      '{"campaign":"demo","categories":["%s"],"title":"%s（%d-%d）","description":"%s%s",' ..
      '"format":"%s","prefecture":"%02d","starts_on":"2026-11-%02d"}',
      categories[math.random(#categories)], titles[math.random(#titles)], tid, n,
      sentences[math.random(#sentences)], sentences[math.random(#sentences)],
      formats[math.random(#formats)], math.random(47), math.random(30))
   return wrk.format("POST", "/api/v1/activities", {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
   }, body)
end

function response(status, headers, body)
   bench.count_status(status)
end
