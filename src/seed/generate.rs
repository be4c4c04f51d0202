//! Pure generation for the demo data: a deterministic PRNG, population-weighted prefectures,
//! organization and personal names, and activity texts.

use super::*;

/// splitmix64: tiny, fast and good enough for demo data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    pub(super) fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }

    pub(super) fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    /// An index in `0..len` favouring small ones, so some registrants have many activities.
    pub(super) fn skewed(&mut self, len: usize) -> usize {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * len as f64) as usize).min(len - 1)
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    pub(super) fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut r = self.below(weights.iter().sum());
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

/// Running totals of `PREFECTURE_POPULATION_K`.
pub(super) const PREFECTURE_CUMULATIVE: [u64; 47] = {
    let mut out = [0u64; 47];
    let mut sum = 0u64;
    let mut i = 0;
    while i < 47 {
        sum += PREFECTURE_POPULATION_K[i] as u64;
        out[i] = sum;
        i += 1;
    }
    out
};

/// An index into `PREFECTURES`, weighted by population.
pub fn weighted_prefecture(rng: &mut Rng) -> usize {
    let r = rng.below(PREFECTURE_CUMULATIVE[46]);
    PREFECTURE_CUMULATIVE.partition_point(|&c| c <= r)
}

pub(super) fn prefecture_code(index: usize) -> &'static str {
    PREFECTURES[index].code
}

pub(super) fn prefecture_index(code: &str) -> Option<usize> {
    PREFECTURES.iter().position(|p| p.code == code)
}

pub(super) fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, month, day).expect("a valid day of 2026")
}

/// Real municipalities with their prefecture code.
pub(super) const PLACES: [(&str, &str); 66] = [
    ("札幌市", "01"),
    ("旭川市", "01"),
    ("ニセコ町", "01"),
    ("上士幌町", "01"),
    ("青森市", "02"),
    ("盛岡市", "03"),
    ("仙台市", "04"),
    ("南三陸町", "04"),
    ("秋田市", "05"),
    ("山形市", "06"),
    ("福島市", "07"),
    ("会津若松市", "07"),
    ("水戸市", "08"),
    ("つくば市", "08"),
    ("宇都宮市", "09"),
    ("前橋市", "10"),
    ("嬬恋村", "10"),
    ("さいたま市", "11"),
    ("川越市", "11"),
    ("千葉市", "12"),
    ("柏市", "12"),
    ("八王子市", "13"),
    ("武蔵野市", "13"),
    ("横浜市", "14"),
    ("川崎市", "14"),
    ("葉山町", "14"),
    ("新潟市", "15"),
    ("富山市", "16"),
    ("金沢市", "17"),
    ("福井市", "18"),
    ("甲府市", "19"),
    ("松本市", "20"),
    ("軽井沢町", "20"),
    ("白馬村", "20"),
    ("岐阜市", "21"),
    ("静岡市", "22"),
    ("浜松市", "22"),
    ("名古屋市", "23"),
    ("豊田市", "23"),
    ("津市", "24"),
    ("大津市", "25"),
    ("京都市", "26"),
    ("大阪市", "27"),
    ("堺市", "27"),
    ("神戸市", "28"),
    ("奈良市", "29"),
    ("白浜町", "30"),
    ("鳥取市", "31"),
    ("松江市", "32"),
    ("海士町", "32"),
    ("岡山市", "33"),
    ("広島市", "34"),
    ("山口市", "35"),
    ("神山町", "36"),
    ("高松市", "37"),
    ("松山市", "38"),
    ("高知市", "39"),
    ("福岡市", "40"),
    ("北九州市", "40"),
    ("佐賀市", "41"),
    ("長崎市", "42"),
    ("熊本市", "43"),
    ("大分市", "44"),
    ("宮崎市", "45"),
    ("鹿児島市", "46"),
    ("那覇市", "47"),
];

/// A municipality in the prefecture, or the prefecture's own name when none is listed.
pub(super) fn place_in(rng: &mut Rng, pref: usize) -> &'static str {
    let code = prefecture_code(pref);
    let n = PLACES.iter().filter(|(_, c)| *c == code).count();
    if n == 0 || rng.percent(20) {
        return PREFECTURES[pref].name_ja;
    }
    let k = rng.index(n);
    PLACES
        .iter()
        .filter(|(_, c)| *c == code)
        .nth(k)
        .map_or(PREFECTURES[pref].name_ja, |p| p.0)
}

/// "横浜市" → "横浜", for schools and cooperatives named after their town.
pub(super) fn place_stem(place: &str) -> &str {
    place.strip_suffix(['市', '町', '村']).unwrap_or(place)
}

/// Name stems with their reading.
pub(super) const STEMS: [(&str, &str); 36] = [
    ("サクラ", "サクラ"),
    ("富士", "フジ"),
    ("青葉", "アオバ"),
    ("みらい", "ミライ"),
    ("北斗", "ホクト"),
    ("あおぞら", "アオゾラ"),
    ("東邦", "トウホウ"),
    ("大和", "ヤマト"),
    ("日本橋", "ニホンバシ"),
    ("葵", "アオイ"),
    ("若葉", "ワカバ"),
    ("光", "ヒカリ"),
    ("瑞穂", "ミズホ"),
    ("朝日", "アサヒ"),
    ("白鷺", "シラサギ"),
    ("丸の内", "マルノウチ"),
    ("あけぼの", "アケボノ"),
    ("ひまわり", "ヒマワリ"),
    ("つばさ", "ツバサ"),
    ("湊", "ミナト"),
    ("双葉", "フタバ"),
    ("銀河", "ギンガ"),
    ("こだま", "コダマ"),
    ("常盤", "トキワ"),
    ("千代田", "チヨダ"),
    ("伊吹", "イブキ"),
    ("なぎさ", "ナギサ"),
    ("暁", "アカツキ"),
    ("翠", "ミドリ"),
    ("日向", "ヒナタ"),
    ("結", "ユイ"),
    ("綾瀬", "アヤセ"),
    ("ミライズ", "ミライズ"),
    ("グローバル", "グローバル"),
    ("スマート", "スマート"),
    ("ユニティ", "ユニティ"),
];

/// Company name endings with their reading and JSIC division.
pub(super) const SUFFIXES: [(&str, &str, &str); 36] = [
    ("テック", "テック", "G"),
    ("ネットワークス", "ネットワークス", "G"),
    ("システムズ", "システムズ", "G"),
    ("ソリューションズ", "ソリューションズ", "G"),
    ("ソフトウェア", "ソフトウェア", "G"),
    ("情報サービス", "ジョウホウサービス", "G"),
    ("商事", "ショウジ", "I"),
    ("物産", "ブッサン", "I"),
    ("ストア", "ストア", "I"),
    ("製作所", "セイサクショ", "E"),
    ("工業", "コウギョウ", "E"),
    ("電機", "デンキ", "E"),
    ("食品", "ショクヒン", "E"),
    ("印刷", "インサツ", "E"),
    ("総研", "ソウケン", "L"),
    ("デザイン", "デザイン", "L"),
    ("コンサルティング", "コンサルティング", "L"),
    ("ラボ", "ラボ", "L"),
    ("建設", "ケンセツ", "D"),
    ("工務店", "コウムテン", "D"),
    ("物流", "ブツリュウ", "H"),
    ("運輸", "ウンユ", "H"),
    ("不動産", "フドウサン", "K"),
    ("リース", "リース", "K"),
    ("保険サービス", "ホケンサービス", "J"),
    ("証券", "ショウケン", "J"),
    ("ファーム", "ファーム", "A"),
    ("水産", "スイサン", "B"),
    ("鉱業", "コウギョウ", "C"),
    ("エナジー", "エナジー", "F"),
    ("ホテルズ", "ホテルズ", "M"),
    ("フーズ", "フーズ", "M"),
    ("トラベル", "トラベル", "N"),
    ("ゼミナール", "ゼミナール", "O"),
    ("メディカル", "メディカル", "P"),
    ("人材サービス", "ジンザイサービス", "R"),
];

/// Brand-like names in Latin letters, with reading and division.
pub(super) const LATIN_NAMES: [(&str, &str, &str); 8] = [
    ("NextWave", "ネクストウェーブ", "G"),
    ("Linkage", "リンケージ", "G"),
    ("GREEN FIELD", "グリーン フィールド", "A"),
    ("Blue Ocean Works", "ブルー オーシャン ワークス", "L"),
    ("SORA Design", "ソラ デザイン", "L"),
    ("Kizuna Partners", "キズナ パートナーズ", "R"),
    ("CloudBridge", "クラウドブリッジ", "G"),
    ("Hikari Foods", "ヒカリ フーズ", "E"),
];

pub(super) const ASSOCIATION_FORMS: [&str; 5] = [
    "一般社団法人",
    "公益社団法人",
    "一般財団法人",
    "特定非営利活動法人",
    "NPO法人",
];
pub(super) const ASSOCIATION_AREAS: [&str; 9] = [
    "日本",
    "全国",
    "東北",
    "関東",
    "北陸",
    "関西",
    "中国四国",
    "九州",
    "みらい",
];
pub(super) const ASSOCIATION_NAMES: [(&str, &str); 8] = [
    ("テレワーク推進協会", "R"),
    ("働き方改革推進機構", "R"),
    ("地域DX推進協議会", "R"),
    ("情報サービス産業協会", "R"),
    ("中小企業支援ネットワーク", "R"),
    ("子育てと仕事の両立支援協会", "P"),
    ("ワーケーション協会", "N"),
    ("リモートワーク研究会", "L"),
];

pub(super) const FAMILY_NAMES: [&str; 52] = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "前田",
    "藤田",
    "小川",
    "岡田",
    "後藤",
    "長谷川",
    "村上",
    "近藤",
    "石井",
    "坂本",
    "遠藤",
    "青木",
    "藤井",
    "西村",
    "福田",
    "太田",
    "三浦",
    "藤原",
    "岡本",
    "松田",
    "中川",
    "中野",
    "原田",
    "小野",
    "金城",
    "比嘉",
];
pub(super) const GIVEN_NAMES: [&str; 32] = [
    "太郎",
    "花子",
    "翔太",
    "陽菜",
    "大輔",
    "美咲",
    "健一",
    "由美",
    "直樹",
    "さくら",
    "拓海",
    "結衣",
    "誠",
    "愛",
    "蓮",
    "葵",
    "悠真",
    "彩",
    "亮",
    "恵子",
    "和也",
    "真由美",
    "隆",
    "智子",
    "海斗",
    "凛",
    "颯太",
    "芽依",
    "修",
    "明美",
    "ひかり",
    "大和",
];
pub(super) const PROFESSIONS: [&str; 7] = [
    "社会保険労務士",
    "中小企業診断士",
    "ITコーディネータ",
    "フリーランスエンジニア",
    "キャリアコンサルタント",
    "Webデザイナー",
    "行政書士",
];

pub(super) fn person(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(&FAMILY_NAMES), rng.pick(&GIVEN_NAMES))
}

/// A generated registrant.
#[derive(Debug, Clone)]
pub(super) struct DemoAccount {
    pub(super) kind: Kind,
    pub(super) display_name: String,
    pub(super) legal_name: Option<String>,
    pub(super) name_kana: Option<String>,
    pub(super) industry: Option<&'static str>,
    pub(super) prefecture: Option<&'static str>,
    pub(super) employee_band: Option<&'static str>,
    pub(super) website: Option<String>,
    pub(super) contact_name: Option<String>,
    pub(super) phone: Option<String>,
}

/// An organization's name, its reading when known, its division and, for bodies tied to a
/// place, their prefecture index.
pub(super) struct OrgName {
    pub(super) name: String,
    pub(super) kana: Option<String>,
    pub(super) industry: &'static str,
    pub(super) prefecture: Option<usize>,
}

pub(super) fn org_name(rng: &mut Rng) -> OrgName {
    let place = |rng: &mut Rng| {
        let (name, code) = *rng.pick(&PLACES);
        (name, prefecture_index(code).unwrap_or(12))
    };
    match rng.weighted(&[62, 8, 8, 4, 6, 4, 3, 2, 3]) {
        // Companies.
        0 => {
            let (stem, stem_kana) = *rng.pick(&STEMS);
            let (suffix, suffix_kana, industry) = *rng.pick(&SUFFIXES);
            let base = format!("{stem}{suffix}");
            let name = match rng.weighted(&[55, 30, 10, 5]) {
                0 => format!("株式会社{base}"),
                1 => format!("{base}株式会社"),
                2 => format!("合同会社{base}"),
                _ => format!("有限会社{base}"),
            };
            let industry = if rng.percent(2) { "T" } else { industry };
            OrgName {
                name,
                kana: Some(format!("{stem_kana}{suffix_kana}")),
                industry,
                prefecture: None,
            }
        }
        1 => {
            let (latin, kana, industry) = *rng.pick(&LATIN_NAMES);
            OrgName {
                name: format!("株式会社{latin}"),
                kana: Some(kana.to_owned()),
                industry,
                prefecture: None,
            }
        }
        // Associations.
        2 => {
            let (what, industry) = *rng.pick(&ASSOCIATION_NAMES);
            OrgName {
                name: format!("{}{}{what}", rng.pick(&ASSOCIATION_FORMS), rng.pick(&ASSOCIATION_AREAS)),
                kana: None,
                industry,
                prefecture: None,
            }
        }
        // Local governments: city halls, town and village offices, prefectural offices.
        3 => {
            let pref = weighted_prefecture(rng);
            OrgName {
                name: format!("{}庁", PREFECTURES[pref].name_ja),
                kana: None,
                industry: "S",
                prefecture: Some(pref),
            }
        }
        4 => {
            let (name, pref) = place(rng);
            let office = if name.ends_with('市') { "役所" } else { "役場" };
            OrgName {
                name: format!("{name}{office}"),
                kana: None,
                industry: "S",
                prefecture: Some(pref),
            }
        }
        // Schools and universities.
        5 => {
            let (name, pref) = place(rng);
            let stem = place_stem(name);
            let name = match rng.index(6) {
                0 => format!("{stem}大学"),
                1 => format!("{stem}工業大学"),
                2 => format!("{stem}情報大学"),
                3 => format!("{}立{stem}高等学校", PREFECTURES[pref].name_ja),
                4 => format!("{}立{stem}商業高等学校", PREFECTURES[pref].name_ja),
                _ => format!("{}立{stem}工業高等学校", PREFECTURES[pref].name_ja),
            };
            OrgName {
                name,
                kana: None,
                industry: "O",
                prefecture: Some(pref),
            }
        }
        // Medical and welfare corporations.
        6 => {
            let (stem, _) = *rng.pick(&STEMS);
            let name = if rng.percent(50) {
                format!("医療法人社団{stem}会")
            } else {
                format!("社会福祉法人{stem}福祉会")
            };
            OrgName {
                name,
                kana: None,
                industry: "P",
                prefecture: None,
            }
        }
        // Cooperatives and chambers of commerce.
        7 => {
            let (name, pref) = place(rng);
            OrgName {
                name: format!("{}農業協同組合", place_stem(name)),
                kana: None,
                industry: "Q",
                prefecture: Some(pref),
            }
        }
        _ => {
            let (name, pref) = place(rng);
            OrgName {
                name: format!("{}商工会議所", place_stem(name)),
                kana: None,
                industry: "R",
                prefecture: Some(pref),
            }
        }
    }
}

/// The registrant `demo-<i>@example.jp`; the same `i` always gives the same account.
pub(super) fn demo_account(i: usize) -> DemoAccount {
    let mut rng = Rng::new(SEED ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
    if rng.percent(80) {
        let org = org_name(&mut rng);
        let pref = org.prefecture.unwrap_or_else(|| weighted_prefecture(&mut rng));
        let band = match org.industry {
            "S" | "O" => rng.weighted(&[0, 2, 10, 30, 33, 25]),
            _ => rng.weighted(&[25, 30, 15, 15, 10, 5]),
        };
        DemoAccount {
            kind: Kind::Organization,
            legal_name: Some(org.name.clone()),
            display_name: org.name,
            name_kana: org.kana,
            industry: Some(org.industry),
            prefecture: Some(prefecture_code(pref)),
            employee_band: Some(EMPLOYEE_BANDS[band]),
            website: rng.percent(60).then(|| format!("https://demo-{i}.example.jp/")),
            contact_name: rng.percent(70).then(|| person(&mut rng)),
            phone: rng.percent(50).then(|| {
                format!(
                    "0{}-{:04}-{:04}",
                    rng.range(3, 99),
                    rng.below(10_000),
                    rng.below(10_000)
                )
            }),
        }
    } else {
        let display_name = if rng.percent(30) {
            let name = person(&mut rng).replace(' ', "");
            format!("{name}（{}）", rng.pick(&PROFESSIONS))
        } else {
            person(&mut rng)
        };
        DemoAccount {
            kind: Kind::Individual,
            display_name,
            legal_name: None,
            name_kana: None,
            industry: None,
            prefecture: Some(prefecture_code(weighted_prefecture(&mut rng))),
            employee_band: None,
            website: rng.percent(20).then(|| format!("https://example.jp/people/{i}")),
            contact_name: None,
            phone: None,
        }
    }
}

/// Title templates per category bit. `{city}`, `{dept}` and `{n}` are filled in.
pub(super) const PRACTICE_TITLES: [&str; 20] = [
    "全社テレワーク・デイズ",
    "全社一斉テレワークの日",
    "{dept}で週{n}日テレワーク",
    "{city}でのサテライトオフィス勤務実証",
    "地方拠点でのサテライトオフィス実証",
    "{city}ワーケーション体験プログラム",
    "フルリモート勤務トライアル",
    "在宅勤務の試行（{dept}）",
    "ペーパーレス会議チャレンジ",
    "オンライン商談会",
    "時差出勤とテレワークの組み合わせ実践",
    "テレワーク・デイズ2026への参加",
    "モバイルワーク推進週間",
    "Web会議だけで働く1週間",
    "クラウド型電話で在宅コールセンター",
    "ゼロトラスト環境での在宅勤務実践",
    "iPadで現場業務をリモート化",
    "職員のテレワーク試行",
    "シニア社員のテレワーク実践",
    "ＢＹＯＤによるテレワーク試行",
];
pub(super) const LEARN_TITLES: [&str; 20] = [
    "テレワーク導入セミナー",
    "DX推進ウェビナー",
    "AI活用テレワーク研修",
    "テレワーク時代の労務管理講座",
    "ハイブリッドワーク事例研究会",
    "{city}テレワーク推進フォーラム",
    "情報セキュリティ勉強会（テレワーク編）",
    "管理職向けリモートマネジメント研修",
    "生成AI×働き方改革シンポジウム",
    "テレワークと人事評価を考えるパネルディスカッション",
    "ICTツール体験会",
    "ＤＸ人材育成ワークショップ",
    "SaaS活用ハンズオン",
    "新しい働き方トークセッション in {city}",
    "IoTで変わる現場仕事セミナー",
    "はじめてのRPA講座",
    "オンライン学習会「これからの働き方」",
    "学生と考えるリモートワークの未来",
    "AIチャットボット業務活用入門",
    "Web会議マナー講座",
];
pub(super) const SUPPORT_TITLES: [&str; 16] = [
    "子育て世代のための在宅勤務相談会",
    "テレワーク導入無料相談窓口",
    "中小企業向けテレワーク機器貸出",
    "{city}コワーキングスペース無料開放",
    "テレワーク推進企業の表彰",
    "地域企業のDX伴走支援",
    "介護と仕事の両立相談会",
    "テレワーク求人マッチングイベント",
    "障がい者テレワーク就労支援",
    "シェアオフィス利用料の助成",
    "テレワーク環境整備補助金の説明会",
    "移住×テレワーク応援プログラム in {city}",
    "PC設定サポートデスク",
    "Wi-Fi完備の図書館ワークスペース開放",
    "テレワーク川柳コンテスト",
    "{city}お試しサテライトオフィス",
];
pub(super) const DEPTS: [&str; 8] = [
    "営業部",
    "開発部",
    "管理部門",
    "本社",
    "全拠点",
    "コールセンター",
    "設計部",
    "経理部",
];
pub(super) const TITLE_PREFIXES: [&str; 5] = [
    "【参加無料】",
    "【11月開催】",
    "【初心者歓迎】",
    "【先着順】",
    "【第{k}回】",
];
pub(super) const TITLE_SUFFIXES: [&str; 6] = [
    " 2026",
    "（第{k}回）",
    " in {city}",
    "〜事例に学ぶ〜",
    "〜明日から使えるノウハウ〜",
    " vol.{k}",
];

pub(super) const TARGETS: [&str; 9] = [
    "全社員",
    "中小企業の経営者・人事担当者",
    "地域の事業者",
    "子育て中の保護者",
    "学生と教職員",
    "地域の皆さま",
    "管理職",
    "新入社員",
    "IT担当者",
];
pub(super) const PRACTICE_SENTENCES: [&str; 7] = [
    "通勤時間を削減し、生産性とワークライフバランスの向上を目指します。",
    "昨年度の試行結果を踏まえ、対象部署を拡大して実施します。",
    "期間中は原則として出社せず、Web会議とチャットで業務を進めます。",
    "セキュリティ対策として、シンクライアント端末と多要素認証を導入しています。",
    "実施後は社員アンケートで効果を検証し、結果を社外にも公開します。",
    "サテライトオフィスでは地元企業との交流会も予定しています。",
    "紙の書類と押印を見直し、ペーパーレス化もあわせて進めます。",
];
pub(super) const LEARN_SENTENCES: [&str; 7] = [
    "講師には、テレワーク導入を支援してきた専門家をお招きします。",
    "参加費は無料です。どなたでもお気軽にご参加ください。",
    "定員は{k}0名（先着順）です。",
    "後日、アーカイブ動画を配信する予定です。",
    "生成AIやクラウドツールの最新の活用事例もご紹介します。",
    "グループディスカッションを通じて、参加者同士で課題を共有します。",
    "ハンズオン形式のため、ノートPCをご持参ください。",
];
pub(super) const SUPPORT_SENTENCES: [&str; 6] = [
    "育児や介護と仕事の両立に悩む方の相談に、専門の相談員が対応します。",
    "テレワーク用のノートPCやWi-Fiルーターを無償で貸し出します。",
    "地域の中小企業や自治体と連携し、導入のノウハウを共有します。",
    "相談は無料で、秘密は厳守します。",
    "導入に使える補助金・助成金の申請手続きもサポートします。",
    "コワーキングスペースは期間中どなたでも無料でご利用いただけます。",
];
pub(super) const GENERIC_SENTENCES: [&str; 4] = [
    "詳しくはウェブサイトをご覧ください。",
    "感染症対策としてだけでなく、多様な働き方を実現する手段としてテレワークを推進しています。",
    "{city}の豊かな自然の中で、仕事と休暇を両立する新しい働き方を体験できます。",
    "お問い合わせは{org}までお寄せください。",
];
pub(super) const CORPORATE_DEPTS: [&str; 6] = [
    "人事部",
    "総務部",
    "経営企画室",
    "情報システム部",
    "DX推進室",
    "働き方改革推進チーム",
];
pub(super) const GOVERNMENT_DEPTS: [&str; 4] = ["デジタル推進課", "企画政策課", "商工観光課", "人事課"];
pub(super) const SCHOOL_DEPTS: [&str; 2] = ["情報教育センター", "キャリア支援課"];

/// Replaces the placeholders a template uses.
pub(super) fn fill(rng: &mut Rng, template: &str, city: &str, org: &str) -> String {
    let mut s = template.replace("{city}", city).replace("{org}", org);
    if s.contains("{dept}") {
        let dept = *rng.pick(&DEPTS);
        s = s.replace("{dept}", dept);
    }
    if s.contains("{n}") {
        s = s.replace("{n}", &rng.range(2, 4).to_string());
    }
    if s.contains("{k}") {
        s = s.replace("{k}", &rng.range(2, 12).to_string());
    }
    s
}

pub(super) fn truncate_chars(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => s[..cut].trim_end().to_owned(),
        None => s,
    }
}

/// A category mask: the theme's bit, sometimes with others.
pub(super) fn category_mask(rng: &mut Rng, theme: i32) -> i32 {
    match rng.below(100) {
        0..=4 => 7,
        5..=29 => theme | [1, 2, 4][rng.index(3)],
        _ => theme,
    }
}

/// The text of the `serial`-th demo activity of `owner`. `prefecture` forces the prefecture
/// (by index); otherwise bodies tied to a place (government, schools, cooperatives) use their
/// own and everyone else one weighted by population.
pub(super) fn activity_text(rng: &mut Rng, owner: &Owner, serial: usize, prefecture: Option<usize>) -> ActivityText {
    let local = matches!(owner.industry.as_deref(), Some("S" | "O" | "Q"));
    let pref = prefecture
        .or_else(|| {
            local
                .then(|| owner.prefecture.as_deref().and_then(prefecture_index))
                .flatten()
        })
        .unwrap_or_else(|| weighted_prefecture(rng));
    let city = place_in(rng, pref);

    let theme = [1, 2, 4][rng.weighted(&[40, 35, 25])];
    let (templates, sentences): (&[&str], &[&str]) = match theme {
        1 => (&PRACTICE_TITLES, &PRACTICE_SENTENCES),
        2 => (&LEARN_TITLES, &LEARN_SENTENCES),
        _ => (&SUPPORT_TITLES, &SUPPORT_SENTENCES),
    };
    let format = match rng.weighted(&[40, 20, 20, 20]) {
        0 => Some("online"),
        1 => Some("onsite"),
        2 => Some("hybrid"),
        _ => None,
    };

    let organizer_name = if owner.kind == Kind::Organization && rng.percent(20) {
        let depts: &[&str] = match owner.industry.as_deref() {
            Some("S") => &GOVERNMENT_DEPTS,
            Some("O") => &SCHOOL_DEPTS,
            _ => &CORPORATE_DEPTS,
        };
        format!("{} {}", owner.display_name, rng.pick(depts))
    } else {
        owner.display_name.clone()
    };

    let template = *rng.pick(templates);
    let mut title = fill(rng, template, city, &organizer_name);
    if rng.percent(20) {
        let prefix = *rng.pick(&TITLE_PREFIXES);
        title = format!("{}{title}", fill(rng, prefix, city, ""));
    }
    if rng.percent(20) {
        let suffix = match format {
            Some("online") if rng.percent(30) => "（オンライン開催）".to_owned(),
            Some("onsite") if rng.percent(30) => format!("（{city}会場）"),
            _ => {
                let t = *rng.pick(&TITLE_SUFFIXES);
                fill(rng, t, city, "")
            }
        };
        title.push_str(&suffix);
    }
    let title = truncate_chars(title, TITLE_MAX);

    let mut description = match rng.index(3) {
        0 if owner.kind == Kind::Organization => {
            format!("{organizer_name}では、テレワーク月間に合わせて「{title}」を実施します。")
        }
        0 => format!("テレワーク月間に合わせて、個人で「{title}」を実施します。"),
        1 => format!("テレワーク月間の取り組みとして「{title}」を開催します。"),
        _ => format!("「{title}」は、{}を対象とした取り組みです。", rng.pick(&TARGETS)),
    };
    let extra = rng.index(3);
    let mut used: Vec<&str> = Vec::with_capacity(2);
    while used.len() < extra {
        let pool: &[&str] = if rng.percent(75) { sentences } else { &GENERIC_SENTENCES };
        let s = *rng.pick(pool);
        if !used.contains(&s) {
            used.push(s);
            let s = fill(rng, s, city, &organizer_name);
            description.push_str(&s);
        }
    }
    let description = truncate_chars(description, DESCRIPTION_MAX);

    let (starts_on, ends_on) = match rng.below(100) {
        0..=14 => (Some(date(11, 1)), Some(date(11, 30))),
        15..=59 => {
            let start = rng.range(1, 30) as u32;
            let end = if rng.percent(60) {
                start
            } else {
                rng.range(i64::from(start), 30) as u32
            };
            (Some(date(11, start)), Some(date(11, end)))
        }
        60..=69 => (Some(date(11, rng.range(1, 30) as u32)), None),
        _ => (None, None),
    };

    ActivityText {
        category_mask: category_mask(rng, theme),
        title,
        description,
        organizer_name,
        starts_on,
        ends_on,
        format: format.map(str::to_owned),
        prefecture: Some(prefecture_code(pref).to_owned()),
        url: rng
            .percent(60)
            .then(|| format!("https://example.jp/activities/{serial}")),
    }
}
