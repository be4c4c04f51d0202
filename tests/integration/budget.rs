//! The statement time budget under overload, on the real binary and on the backend that
//! `TEST_DATABASE_URL` selects: a flood of cold public searches, each slower than the budget,
//! gets 503 `statement_timeout` answers quickly, while the endpoints that need no slow query
//! keep answering. The same flood without the budget starves them, which shows the flood is
//! heavy enough for the first half to mean something.

use crate::common::TestDb;
use crate::proc_util::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Enough approved activities that a cold search for one common character with a filter
/// takes about 100 ms (debug build, either backend, on a quiet machine), more than twice
/// the budget below. The budget leaves the probes' one-row reads room even on a machine
/// busy with other work (at 10 ms a probe's own read was sometimes stopped there).
const ACTIVITIES: usize = 50_000;
const BUDGET_MS: &str = "40";
/// PostgreSQL's searches have an index for every query length, so fewer of the flood's cold
/// searches outlast 40 ms there: its budget is tighter, still well above a probe's read.
const PG_BUDGET_MS: &str = "20";

fn budget_ms(database_url: &str) -> &'static str {
    if database_url.starts_with("postgres") {
        PG_BUDGET_MS
    } else {
        BUDGET_MS
    }
}
/// Concurrent clients sending cold searches, each a filter no one asked for before.
const FLOODERS: usize = 96;
const FLOOD_FOR: Duration = Duration::from_secs(3);
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// What "keeps answering" means: every probe answers 200 within this (or, on a slow or
/// busy machine, within what the waits of that same run allow: see the end of the test).
const BOUND: Duration = Duration::from_millis(1500);

/// One answer: status and problem code (or why none came), and how long it took.
type Answer = (Result<(u16, String), String>, Duration);

struct Phase {
    flood: Vec<Answer>,
    probes: Vec<(&'static str, Answer)>,
    /// The end of the server's log.
    log: String,
}

impl Phase {
    /// The flood's answers that the budget stopped.
    fn stopped(&self) -> impl Iterator<Item = &Answer> {
        self.flood
            .iter()
            .filter(|(r, _)| matches!(r, Ok((503, code)) if code == "statement_timeout"))
    }

    fn timeouts(&self) -> usize {
        self.stopped().count()
    }

    /// The slowest probe of each endpoint, and whether every probe answered 200.
    fn worst_probes(&self) -> Vec<(&'static str, Duration, bool)> {
        PROBES
            .iter()
            .map(|(name, _)| {
                let mine = self.probes.iter().filter(|(n, _)| n == name);
                let worst = mine.clone().map(|(_, (_, took))| *took).max().unwrap_or_default();
                let all_ok = mine.clone().count() > 0 && mine.clone().all(|(_, (r, _))| matches!(r, Ok((200, _))));
                (*name, worst, all_ok)
            })
            .collect()
    }

    /// How long the flood's searches took: the `q` quantile.
    fn search_took(&self, q: f64) -> Duration {
        let mut took: Vec<Duration> = self.flood.iter().map(|(_, t)| *t).collect();
        took.sort();
        let at = ((took.len() as f64 * q) as usize).min(took.len().saturating_sub(1));
        took.get(at).copied().unwrap_or_default()
    }

    fn summary(&self) -> String {
        let mut statuses = std::collections::BTreeMap::<String, usize>::new();
        for (r, _) in &self.flood {
            let key = match r {
                Ok((status, code)) => format!("{status} {code}"),
                Err(e) => e.clone(),
            };
            *statuses.entry(key).or_default() += 1;
        }
        let mut s = format!(
            "flood: {} answers {statuses:?}, {} statement_timeout, p50 {:?}, max {:?}; probes (worst, all 200):",
            self.flood.len(),
            self.timeouts(),
            self.search_took(0.5),
            self.search_took(1.0),
        );
        for (name, worst, ok) in self.worst_probes() {
            s.push_str(&format!(" {name} {worst:?} {ok};"));
        }
        s
    }

    /// The summary and the end of the server's log, for a failure.
    fn explain(&self) -> String {
        format!("{}\n--- the server's log ---\n{}", self.summary(), self.log)
    }
}

/// The other endpoints: no database, a trivial query, and an authenticated read (two units
/// of database work: the account behind the token, then the profile).
const PROBES: [(&str, &str); 3] = [
    ("categories", "/api/v1/categories"),
    ("readyz", "/readyz"),
    ("me", "/api/v1/me"),
];

/// The `n`th cold search: one common character with a kind and, in most, a format or
/// category filter, so that no two of the first thousand share a cache entry.
fn cold_search(n: usize) -> String {
    const CHARS: [&str; 20] = [
        "ワ", "ま", "ン", "は", "た", "ー", "式", "イ", "ク", "テ", "レ", "の", "し", "を", "に", "会", "社", "で",
        "す", "る",
    ];
    const FORMATS: [&str; 4] = ["", "&format=online", "&format=onsite", "&format=hybrid"];
    const CATEGORIES: [&str; 4] = [
        "",
        "&category=try_practice",
        "&category=learn_discuss",
        "&category=support_cooperate",
    ];
    let q: String = CHARS[n % 20].bytes().map(|b| format!("%{b:02X}")).collect();
    let kind = ["organization", "individual"][(n / 20) % 2];
    let format = FORMATS[(n / 40) % 4];
    let category = CATEGORIES[(n / 160) % 4];
    format!("/api/v1/public/activities?q={q}&kind={kind}{format}{category}&limit=100")
}

fn seed(database_url: &str) {
    let dir = tempfile::tempdir().expect("dir");
    let out = base_command(database_url, dir.path())
        .args(["seed-demo", "--activities", &ACTIVITIES.to_string()])
        .output()
        .expect("run seed-demo");
    assert!(
        out.status.success(),
        "seed-demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn answer(agent: &ureq::Agent, url: &str, token: Option<&str>) -> Answer {
    let t = Instant::now();
    let r = send(agent, "GET", url, token, None);
    let r = r.map(|r| (r.status, r.body["code"].as_str().unwrap_or_default().to_owned()));
    (r, t.elapsed())
}

/// Serves the seeded database with `budget_ms`, floods it and probes the other endpoints.
fn flood(database_url: &str, budget_ms: &str) -> Phase {
    let server = Server::start(
        database_url,
        &[
            ("STATEMENT_TIMEOUT_MS", budget_ms),
            // Every pooled connection is taken by the flood either way; with the budget each is
            // held at most that long, so a probe queues behind the flood for about
            // FLOODERS / pool size budgets.
            ("DATABASE_POOL_SIZE", "8"),
            ("WORKERS", "2"),
        ],
    );
    let token = Arc::new(server.api().register(&format!("probe{budget_ms}@example.jp")));
    let client = || {
        ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(2))
            .timeout(Duration::from_secs(30))
            .build()
    };
    let started = Instant::now();
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|k| {
            let (agent, base) = (client(), server.base.clone());
            thread::spawn(move || {
                let mut answers = Vec::new();
                let mut n = k;
                while started.elapsed() < FLOOD_FOR {
                    answers.push(answer(&agent, &format!("{base}{}", cold_search(n)), None));
                    n += FLOODERS;
                }
                answers
            })
        })
        .collect();
    let flooding = Arc::new(AtomicBool::new(true));
    let prober = {
        let (agent, base, token, flooding) = (client(), server.base.clone(), token.clone(), flooding.clone());
        thread::spawn(move || {
            // Once the flood has filled the queues.
            thread::sleep(Duration::from_millis(300));
            let mut probes = Vec::new();
            while flooding.load(Ordering::SeqCst) {
                for (name, path) in PROBES {
                    let auth = (name == "me").then_some(token.as_str());
                    probes.push((name, answer(&agent, &format!("{base}{path}"), auth)));
                }
                thread::sleep(PROBE_EVERY);
            }
            probes
        })
    };
    let flood: Vec<Answer> = flooders.into_iter().flat_map(|t| t.join().expect("flooder")).collect();
    flooding.store(false, Ordering::SeqCst);
    let probes = prober.join().expect("prober");
    let log = tail(&server.log);
    Phase { flood, probes, log }
}

#[test]
fn statement_budget_keeps_other_endpoints_answering_under_a_flood_of_slow_searches() {
    let started = Instant::now();
    let db = TestDb::new();
    seed(&db.url);
    let seeded = started.elapsed();

    let unlimited = flood(&db.url, "0");
    eprintln!("without a budget: {}", unlimited.summary());
    let budget_ms = budget_ms(&db.url);
    let limited = flood(&db.url, budget_ms);
    eprintln!("with {budget_ms} ms: {}", limited.summary());
    eprintln!("seeding {ACTIVITIES} took {seeded:?}; the test {:?}", started.elapsed());

    // Without the budget the flood holds every connection: some probe waits past the bound,
    // is refused, or (on a machine fast enough to run the searches within the bound) waits
    // as long as a typical search of at least a third of the bound runs: it queued behind
    // them. Else the flood is too light to show anything.
    assert_eq!(unlimited.timeouts(), 0);
    let typical = unlimited.search_took(0.5);
    assert!(
        unlimited
            .worst_probes()
            .iter()
            .any(|(_, worst, ok)| *worst > BOUND || !ok || (*worst >= typical && typical * 3 >= BOUND)),
        "the flood did not starve the other endpoints without a budget; seed more rows: {}",
        unlimited.explain()
    );

    // With it, the slow searches are stopped and answered 503 quickly...
    assert!(
        limited.timeouts() * 2 > limited.flood.len(),
        "most cold searches should run out of the budget: {}",
        limited.explain()
    );
    for (r, took) in &limited.flood {
        match r {
            Ok((200, _)) => {}
            Ok((503, code)) if code == "statement_timeout" => {
                assert!(
                    *took < BOUND,
                    "a statement_timeout took {took:?}: {}",
                    limited.explain()
                );
            }
            other => panic!("a cold search got {other:?} after {took:?}: {}", limited.explain()),
        }
    }
    // ...and every other endpoint answers 200 all along: within the bound; or, on a slow or
    // busy machine where every wait is longer, in less than half the time it waited without
    // the budget in this same run, or no longer than two stopped searches take (a probe's
    // unit of database work queues for a connection like a search, and /me has two units):
    // a probe waits on the queue the budget keeps short, never on a slow statement.
    let slowest_stop = limited.stopped().map(|(_, took)| *took).max().unwrap_or_default();
    let before: std::collections::HashMap<&str, Duration> = unlimited
        .worst_probes()
        .into_iter()
        .map(|(name, worst, _)| (name, worst))
        .collect();
    for (name, worst, ok) in limited.worst_probes() {
        assert!(ok, "{name} did not always answer 200: {}", limited.explain());
        let was = before[name];
        assert!(
            worst <= BOUND || worst * 2 < was || worst <= slowest_stop * 2,
            "{name}: worst {worst:?} with the budget, {was:?} without, stopped searches within {slowest_stop:?}: {}",
            limited.explain()
        );
    }
}
