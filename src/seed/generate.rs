//! Pure generation for the demo data: population-weighted prefectures,
//! organization and personal names, and activity texts.

pub use super::rng::Rng;
use super::words::*;
use super::*;

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
