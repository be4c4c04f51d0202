//! Tests of the demo data: sizes, spreads, idempotence.

use super::*;

fn owners() -> Vec<Owner> {
    (0..200)
        .map(|i| {
            let a = demo_account(i);
            Owner {
                id: format!("id-{i}"),
                kind: a.kind.to_owned(),
                display_name: a.display_name,
                industry: a.industry.map(str::to_owned),
                prefecture: a.prefecture.map(str::to_owned),
            }
        })
        .collect()
}

#[test]
fn the_prng_is_deterministic() {
    let a: Vec<u64> = {
        let mut r = Rng::new(42);
        (0..100).map(|_| r.next_u64()).collect()
    };
    let mut r = Rng::new(42);
    assert!(a.iter().all(|&x| x == r.next_u64()));
    assert_ne!(Rng::new(43).next_u64(), a[0]);
    let mut r = Rng::new(7);
    for _ in 0..10_000 {
        assert!(r.below(10) < 10);
        let v = r.range(-3, 3);
        assert!((-3..=3).contains(&v));
    }
    assert_eq!(demo_account(5).display_name, demo_account(5).display_name);
}

#[test]
fn weighted_prefectures_cover_all_47_and_favour_tokyo() {
    let mut rng = Rng::new(SEED);
    let mut counts = [0usize; 47];
    for _ in 0..10_000 {
        counts[weighted_prefecture(&mut rng)] += 1;
    }
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
    let tokyo = counts[12];
    assert!(counts.iter().all(|&c| c <= tokyo), "{counts:?}");
    assert!(counts[30] < tokyo / 10, "Tottori {} vs Tokyo {tokyo}", counts[30]);
}

#[test]
fn generated_texts_fit_the_rules() {
    let owners = owners();
    let mut rng = Rng::new(SEED);
    let mut masks = [0usize; 8];
    let mut formats = std::collections::HashSet::new();
    let mut prefectures = std::collections::HashSet::new();
    let mut ascii_titles = 0;
    for serial in 0..20_000 {
        let owner = &owners[rng.skewed(owners.len())];
        let forced = (serial < 47).then_some(serial);
        let t = activity_text(&mut rng, owner, serial, forced);
        let title_len = t.title.chars().count();
        assert!((1..=TITLE_MAX).contains(&title_len), "{}", t.title);
        assert_eq!(t.title, t.title.trim());
        assert!(!t.title.contains(['{', '}', '\n']), "{}", t.title);
        let desc_len = t.description.chars().count();
        assert!((1..=DESCRIPTION_MAX).contains(&desc_len));
        assert!(!t.description.contains(['{', '}']), "{}", t.description);
        assert!(t.organizer_name.chars().count() <= 100);
        assert!((1..=7).contains(&t.category_mask), "{}", t.category_mask);
        masks[t.category_mask as usize] += 1;
        if let (Some(s), Some(e)) = (t.starts_on, t.ends_on) {
            assert!(s <= e);
        }
        for d in [t.starts_on, t.ends_on].into_iter().flatten() {
            assert!(d >= date(11, 1) && d <= date(11, 30));
        }
        formats.insert(t.format.clone());
        prefectures.insert(t.prefecture.clone().unwrap());
        if t.title.chars().any(|c| c.is_ascii_alphabetic()) {
            ascii_titles += 1;
        }
        assert_eq!(
            t.search_text(),
            crate::domain::text::search_form(&format!("{}\n{}\n{}", t.title, t.description, t.organizer_name))
        );
    }
    assert!(masks[1..].iter().all(|&c| c > 0), "{masks:?}");
    assert_eq!(formats.len(), 4);
    assert_eq!(prefectures.len(), 47);
    assert!(ascii_titles > 1000);
}

#[test]
fn accounts_are_plausible() {
    let mut kinds = HashMap::new();
    let mut industries = std::collections::HashSet::new();
    for i in 0..2000 {
        let a = demo_account(i);
        *kinds.entry(a.kind).or_insert(0) += 1;
        assert!(!a.display_name.is_empty() && a.display_name.chars().count() <= 100);
        assert!(a.prefecture.is_some());
        if a.kind == Kind::Organization {
            industries.insert(a.industry.unwrap());
            assert!(a.employee_band.is_some());
            if let Some(k) = &a.name_kana {
                assert!(
                    k.chars().all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | 'ー' | ' ')),
                    "{k}"
                );
            }
        } else {
            assert!(a.industry.is_none() && a.employee_band.is_none());
        }
    }
    let orgs = kinds[&Kind::Organization];
    assert!((1500..1700).contains(&orgs), "{orgs}");
    assert_eq!(industries.len(), 20, "{industries:?}");
}
