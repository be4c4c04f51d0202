//! Reference data: activity categories, JIS X 0401 prefectures, JSIC industry divisions, employee bands, activity formats.

/// One entry of a code list with its Japanese and English labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefItem {
    pub code: &'static str,
    pub name_ja: &'static str,
    pub name_en: &'static str,
}

const fn item(code: &'static str, name_ja: &'static str, name_en: &'static str) -> RefItem {
    RefItem { code, name_ja, name_en }
}

/// Activity categories of the Telework Month registry.
pub const CATEGORIES: [RefItem; 3] = [
    item("try_practice", "テレワークを試みる/実践する", "Try / practise telework"),
    item(
        "learn_discuss",
        "テレワークを学ぶ/議論する",
        "Learn about / discuss telework",
    ),
    item(
        "support_cooperate",
        "テレワークを応援する/協力する",
        "Support / cooperate with telework",
    ),
];

/// Prefectures in JIS X 0401 order (codes "01" to "47").
pub const PREFECTURES: [RefItem; 47] = [
    item("01", "北海道", "Hokkaido"),
    item("02", "青森県", "Aomori"),
    item("03", "岩手県", "Iwate"),
    item("04", "宮城県", "Miyagi"),
    item("05", "秋田県", "Akita"),
    item("06", "山形県", "Yamagata"),
    item("07", "福島県", "Fukushima"),
    item("08", "茨城県", "Ibaraki"),
    item("09", "栃木県", "Tochigi"),
    item("10", "群馬県", "Gunma"),
    item("11", "埼玉県", "Saitama"),
    item("12", "千葉県", "Chiba"),
    item("13", "東京都", "Tokyo"),
    item("14", "神奈川県", "Kanagawa"),
    item("15", "新潟県", "Niigata"),
    item("16", "富山県", "Toyama"),
    item("17", "石川県", "Ishikawa"),
    item("18", "福井県", "Fukui"),
    item("19", "山梨県", "Yamanashi"),
    item("20", "長野県", "Nagano"),
    item("21", "岐阜県", "Gifu"),
    item("22", "静岡県", "Shizuoka"),
    item("23", "愛知県", "Aichi"),
    item("24", "三重県", "Mie"),
    item("25", "滋賀県", "Shiga"),
    item("26", "京都府", "Kyoto"),
    item("27", "大阪府", "Osaka"),
    item("28", "兵庫県", "Hyogo"),
    item("29", "奈良県", "Nara"),
    item("30", "和歌山県", "Wakayama"),
    item("31", "鳥取県", "Tottori"),
    item("32", "島根県", "Shimane"),
    item("33", "岡山県", "Okayama"),
    item("34", "広島県", "Hiroshima"),
    item("35", "山口県", "Yamaguchi"),
    item("36", "徳島県", "Tokushima"),
    item("37", "香川県", "Kagawa"),
    item("38", "愛媛県", "Ehime"),
    item("39", "高知県", "Kochi"),
    item("40", "福岡県", "Fukuoka"),
    item("41", "佐賀県", "Saga"),
    item("42", "長崎県", "Nagasaki"),
    item("43", "熊本県", "Kumamoto"),
    item("44", "大分県", "Oita"),
    item("45", "宮崎県", "Miyazaki"),
    item("46", "鹿児島県", "Kagoshima"),
    item("47", "沖縄県", "Okinawa"),
];

/// Major divisions A to T of the Japan Standard Industrial Classification (Rev. 14).
pub const INDUSTRIES: [RefItem; 20] = [
    item("A", "農業，林業", "Agriculture and forestry"),
    item("B", "漁業", "Fisheries"),
    item(
        "C",
        "鉱業，採石業，砂利採取業",
        "Mining and quarrying of stone and gravel",
    ),
    item("D", "建設業", "Construction"),
    item("E", "製造業", "Manufacturing"),
    item(
        "F",
        "電気・ガス・熱供給・水道業",
        "Electricity, gas, heat supply and water",
    ),
    item("G", "情報通信業", "Information and communications"),
    item("H", "運輸業，郵便業", "Transport and postal activities"),
    item("I", "卸売業，小売業", "Wholesale and retail trade"),
    item("J", "金融業，保険業", "Finance and insurance"),
    item("K", "不動産業，物品賃貸業", "Real estate and goods rental and leasing"),
    item(
        "L",
        "学術研究，専門・技術サービス業",
        "Scientific research, professional and technical services",
    ),
    item(
        "M",
        "宿泊業，飲食サービス業",
        "Accommodations, eating and drinking services",
    ),
    item(
        "N",
        "生活関連サービス業，娯楽業",
        "Living-related and personal services and amusement services",
    ),
    item("O", "教育，学習支援業", "Education, learning support"),
    item("P", "医療，福祉", "Medical, health care and welfare"),
    item("Q", "複合サービス事業", "Compound services"),
    item("R", "サービス業（他に分類されないもの）", "Services, n.e.c."),
    item(
        "S",
        "公務（他に分類されるものを除く）",
        "Government, except elsewhere classified",
    ),
    item("T", "分類不能の産業", "Industries unable to classify"),
];

/// Employee-count bands an organisation can report.
pub const EMPLOYEE_BANDS: [&str; 6] = ["1-9", "10-49", "50-99", "100-299", "300-999", "1000+"];

/// Formats an activity can take.
pub const FORMATS: [RefItem; 3] = [
    item("online", "オンライン", "Online"),
    item("onsite", "会場", "On-site"),
    item("hybrid", "ハイブリッド", "Hybrid"),
];

/// Population weights (thousands of people, 2020 census, rounded) per prefecture in the same order as PREFECTURES, for realistic demo data.
pub const PREFECTURE_POPULATION_K: [u32; 47] = [
    5225,  // 01 Hokkaido
    1238,  // 02 Aomori
    1211,  // 03 Iwate
    2302,  // 04 Miyagi
    960,   // 05 Akita
    1068,  // 06 Yamagata
    1833,  // 07 Fukushima
    2867,  // 08 Ibaraki
    1933,  // 09 Tochigi
    1939,  // 10 Gunma
    7345,  // 11 Saitama
    6284,  // 12 Chiba
    14048, // 13 Tokyo
    9237,  // 14 Kanagawa
    2201,  // 15 Niigata
    1035,  // 16 Toyama
    1133,  // 17 Ishikawa
    767,   // 18 Fukui
    810,   // 19 Yamanashi
    2048,  // 20 Nagano
    1979,  // 21 Gifu
    3633,  // 22 Shizuoka
    7542,  // 23 Aichi
    1770,  // 24 Mie
    1414,  // 25 Shiga
    2578,  // 26 Kyoto
    8838,  // 27 Osaka
    5465,  // 28 Hyogo
    1324,  // 29 Nara
    923,   // 30 Wakayama
    553,   // 31 Tottori
    671,   // 32 Shimane
    1888,  // 33 Okayama
    2800,  // 34 Hiroshima
    1342,  // 35 Yamaguchi
    720,   // 36 Tokushima
    950,   // 37 Kagawa
    1335,  // 38 Ehime
    692,   // 39 Kochi
    5135,  // 40 Fukuoka
    811,   // 41 Saga
    1312,  // 42 Nagasaki
    1738,  // 43 Kumamoto
    1124,  // 44 Oita
    1070,  // 45 Miyazaki
    1588,  // 46 Kagoshima
    1467,  // 47 Okinawa
];

fn find<'a>(items: &'a [RefItem], code: &str) -> Option<&'a RefItem> {
    items.iter().find(|it| it.code == code)
}

/// Whether `code` is a known activity category.
pub fn is_category(code: &str) -> bool {
    find(&CATEGORIES, code).is_some()
}

/// Whether `code` is a prefecture code: exactly two ASCII digits, "01" to "47".
pub fn is_prefecture(code: &str) -> bool {
    prefecture(code).is_some()
}

/// Whether `code` is a JSIC major division: exactly one uppercase letter, A to T.
pub fn is_industry(code: &str) -> bool {
    matches!(code.as_bytes(), [b'A'..=b'T'])
}

/// Whether `code` is a known employee band.
pub fn is_employee_band(code: &str) -> bool {
    EMPLOYEE_BANDS.contains(&code)
}

/// Whether `code` is a known activity format.
pub fn is_format(code: &str) -> bool {
    find(&FORMATS, code).is_some()
}

/// The prefecture with the given two-digit JIS X 0401 code.
pub fn prefecture(code: &str) -> Option<&'static RefItem> {
    match code.as_bytes() {
        [t @ b'0'..=b'9', u @ b'0'..=b'9'] => {
            let n = usize::from(t - b'0') * 10 + usize::from(u - b'0');
            if (1..=PREFECTURES.len()).contains(&n) {
                Some(&PREFECTURES[n - 1])
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn prefectures_are_01_to_47_in_order() {
        for (i, p) in PREFECTURES.iter().enumerate() {
            assert_eq!(p.code, format!("{:02}", i + 1));
        }
        let codes: HashSet<_> = PREFECTURES.iter().map(|p| p.code).collect();
        assert_eq!(codes.len(), 47);
        let names: HashSet<_> = PREFECTURES.iter().map(|p| p.name_ja).collect();
        assert_eq!(names.len(), 47);
        assert_eq!(PREFECTURES[0].name_ja, "北海道");
        assert_eq!(PREFECTURES[12].name_ja, "東京都");
        assert_eq!(PREFECTURES[25].name_ja, "京都府");
        assert_eq!(PREFECTURES[26].name_ja, "大阪府");
        assert_eq!(PREFECTURES[46].name_ja, "沖縄県");
    }

    #[test]
    fn industries_are_a_to_t_in_order() {
        for (i, ind) in INDUSTRIES.iter().enumerate() {
            let expected = char::from(b'A' + i as u8).to_string();
            assert_eq!(ind.code, expected);
            assert!(is_industry(ind.code));
        }
    }

    #[test]
    fn prefecture_lookup() {
        assert_eq!(prefecture("13").map(|p| p.name_en), Some("Tokyo"));
        assert_eq!(prefecture("01").map(|p| p.name_ja), Some("北海道"));
        assert_eq!(prefecture("47").map(|p| p.name_en), Some("Okinawa"));
        for bad in ["00", "48", "1", "", "013", "1a", "a", "+1", "٠١"] {
            assert!(!is_prefecture(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn industry_lookup_rejects_invalid() {
        for bad in ["a", "t", "U", "Z", "", "AA", "1", "Ａ"] {
            assert!(!is_industry(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn other_code_lists() {
        assert!(is_category("try_practice"));
        assert!(is_category("learn_discuss"));
        assert!(is_category("support_cooperate"));
        assert!(!is_category("Try_practice"));
        assert!(is_employee_band("1000+"));
        assert!(!is_employee_band("1000"));
        assert!(is_format("hybrid"));
        assert!(!is_format("offline"));
    }

    #[test]
    fn population_sum_is_plausible() {
        let total: u32 = PREFECTURE_POPULATION_K.iter().sum();
        assert!((125_000..=127_000).contains(&total), "total {total}");
        assert!(PREFECTURE_POPULATION_K.iter().all(|&p| p > 0));
        let max = PREFECTURE_POPULATION_K.iter().max().copied();
        assert_eq!(max, Some(PREFECTURE_POPULATION_K[12]));
        let min = PREFECTURE_POPULATION_K.iter().min().copied();
        assert_eq!(min, Some(PREFECTURE_POPULATION_K[30]));
    }
}
