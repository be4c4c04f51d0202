//! The write thread's guarantees: an `Ok` means committed, a failing body rolls back
//! alone, a panicking one loses its group, a failing bare one loses the bare ones before it.

use super::*;
use crate::db::{connect, Pool, PoolOptions, Result, Unique};
use diesel::sql_types::Text;
use diesel::RunQueryDsl;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

fn database() -> (tempfile::TempDir, Pool, Arc<Writer>) {
    let dir = tempfile::tempdir().unwrap();
    let target = DbTarget::Sqlite(dir.path().join("writer.db").to_str().unwrap().to_owned());
    let opts = PoolOptions {
        max_size: 4,
        timeout: Duration::from_secs(5),
        statement_timeout: None,
    };
    let pool = connect(&target, &opts).unwrap();
    pool.get()
        .unwrap()
        .batch_execute("CREATE TABLE t (k TEXT PRIMARY KEY)")
        .unwrap();
    (dir, pool, Arc::new(Writer::new(target, None)))
}

fn put(conn: &mut DbConn, k: &str) -> Result<()> {
    diesel::sql_query("INSERT INTO t (k) VALUES (?)")
        .bind::<Text, _>(k)
        .execute(conn)?;
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    k: String,
}

/// The keys as another connection sees them.
fn keys(pool: &Pool) -> BTreeSet<String> {
    diesel::sql_query("SELECT k FROM t")
        .load::<Key>(&mut *pool.get().unwrap())
        .unwrap()
        .into_iter()
        .map(|r| r.k)
        .collect()
}

fn has(pool: &Pool, k: &str) -> bool {
    keys(pool).contains(k)
}

#[test]
fn every_write_is_committed_when_its_caller_hears_ok() {
    let (_dir, pool, writer) = database();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (pool, writer) = (pool.clone(), writer.clone());
            std::thread::spawn(move || {
                for i in 0..25 {
                    let k = format!("{t}-{i}");
                    let key = k.clone();
                    writer.run::<_, Error, _>(move |conn| put(conn, &key)).unwrap();
                    // Another connection sees it as soon as the call returns.
                    assert!(has(&pool, &k), "{k} not visible after Ok");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(keys(&pool).len(), 200);
}

type Body<T> = Box<dyn FnOnce(&mut DbConn) -> Result<T> + Send>;

/// Starts `first` on the write thread, which holds it there for a while, and then the
/// others, so that they queue behind it and run in the same group.
fn group_of<T: Send + 'static>(
    writer: &Arc<Writer>,
    first: &'static str,
    others: Vec<Body<T>>,
) -> (Result<()>, Vec<Result<T>>) {
    let others = others.into_iter().map(|body| (false, body)).collect();
    group_with(writer, (first, false), others)
}

/// [`group_of`] with each body's call chosen: [`Writer::run_bare`] where the flag is true.
fn group_with<T: Send + 'static>(
    writer: &Arc<Writer>,
    (first, bare): (&'static str, bool),
    others: Vec<(bool, Body<T>)>,
) -> (Result<()>, Vec<Result<T>>) {
    let (started, running) = mpsc::channel();
    let w = writer.clone();
    let head = std::thread::spawn(move || {
        let body = move |conn: &mut DbConn| {
            put(conn, first)?;
            started.send(()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            Ok::<_, Error>(())
        };
        if bare {
            w.run_bare(body)
        } else {
            w.run(body)
        }
    });
    running.recv().unwrap();
    let mut rest = Vec::new();
    for (bare, body) in others {
        let w = writer.clone();
        rest.push(std::thread::spawn(
            move || if bare { w.run_bare(body) } else { w.run(body) },
        ));
        std::thread::sleep(Duration::from_millis(30));
    }
    let rest = rest.into_iter().map(|t| t.join().unwrap()).collect();
    (head.join().unwrap(), rest)
}

#[test]
fn a_failing_body_rolls_back_alone() {
    let (_dir, pool, writer) = database();
    let (a, rest) = group_of::<()>(
        &writer,
        "a",
        vec![
            Box::new(|conn| {
                put(conn, "b")?;
                Err(Error::Corrupt("refused by the test".into()))
            }),
            Box::new(|conn| put(conn, "c")),
            // A constraint violation inside the group is that body's error only.
            Box::new(|conn| put(conn, "a")),
        ],
    );
    assert!(a.is_ok());
    assert!(matches!(rest[0], Err(Error::Corrupt(_))), "{:?}", rest[0]);
    assert!(rest[1].is_ok());
    assert!(matches!(rest[2], Err(Error::Duplicate(Unique::Other))), "{:?}", rest[2]);
    assert_eq!(keys(&pool), BTreeSet::from(["a".to_owned(), "c".to_owned()]));
}

#[test]
fn a_panicking_body_loses_its_group_and_the_writer_goes_on() {
    let (_dir, pool, writer) = database();
    let (a, rest) = group_of::<()>(
        &writer,
        "a",
        vec![
            Box::new(|conn| {
                put(conn, "b")?;
                panic!("a bug in a transaction body");
            }),
            Box::new(|conn| put(conn, "c")),
        ],
    );
    // The group with "a" and "b" is rolled back: "a" may retry, "b" is a bug.
    assert!(matches!(a, Err(Error::Unavailable(_))), "{a:?}");
    assert!(matches!(rest[0], Err(Error::Other(_))), "{:?}", rest[0]);
    // "c" was still queued, and runs in the next group on a fresh connection.
    assert!(rest[1].is_ok());
    writer.run::<_, Error, _>(|conn| put(conn, "d")).unwrap();
    assert_eq!(keys(&pool), BTreeSet::from(["c".to_owned(), "d".to_owned()]));
}

/// Whether the body runs outside any savepoint: in the group's transaction itself.
fn bare(conn: &mut DbConn) -> bool {
    let depth = Manager::transaction_manager_status_mut(conn).transaction_depth();
    matches!(depth, Ok(Some(d)) if d.get() == 1)
}

#[test]
fn a_failing_bare_body_loses_the_bare_ones_before_it_and_the_rest_go_on() {
    let (_dir, pool, writer) = database();
    // Queued while the head runs, and taken together after it: bare ones first.
    let (a, rest) = group_with::<bool>(
        &writer,
        ("a", true),
        vec![
            (false, Box::new(|conn| put(conn, "c").map(|()| false))),
            (
                true,
                Box::new(|conn| {
                    assert!(bare(conn), "b runs without a savepoint");
                    put(conn, "b").map(|()| true)
                }),
            ),
            (
                true,
                Box::new(|conn| {
                    put(conn, "x")?;
                    Err(Error::Corrupt("refused by the test".into()))
                }),
            ),
        ],
    );
    // "a" and "b" ran bare before "x" in its transaction: lost with it, to be retried.
    assert!(matches!(a, Err(Error::Unavailable(_))), "{a:?}");
    assert!(matches!(rest[1], Err(Error::Unavailable(_))), "{:?}", rest[1]);
    assert!(matches!(rest[2], Err(Error::Corrupt(_))), "{:?}", rest[2]);
    // "c", queued before them, ran after them, in a new transaction.
    assert!(rest[0].is_ok(), "{:?}", rest[0]);
    assert_eq!(keys(&pool), BTreeSet::from(["c".to_owned()]));
}

#[test]
fn after_a_guarded_body_a_bare_one_fails_alone() {
    let (_dir, pool, writer) = database();
    let (a, rest) = group_with::<bool>(
        &writer,
        ("a", false),
        vec![
            (true, Box::new(|conn| put(conn, "b").map(|()| bare(conn)))),
            (
                true,
                Box::new(|conn| {
                    put(conn, "x")?;
                    Err(Error::Corrupt("refused by the test".into()))
                }),
            ),
            (false, Box::new(|conn| put(conn, "c").map(|()| false))),
        ],
    );
    assert!(a.is_ok(), "{a:?}");
    // The head ran in a savepoint, so "b" got one too, and the failure of "x" was its own.
    assert!(matches!(rest[0], Ok(false)), "{:?}", rest[0]);
    assert!(matches!(rest[1], Err(Error::Corrupt(_))), "{:?}", rest[1]);
    assert!(rest[2].is_ok(), "{:?}", rest[2]);
    assert_eq!(
        keys(&pool),
        BTreeSet::from(["a".to_owned(), "b".to_owned(), "c".to_owned()])
    );
}
