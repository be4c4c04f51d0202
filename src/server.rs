//! Starting the HTTP server: database first, then the mail worker and the HTTP workers;
//! graceful stop on SIGTERM or SIGINT (in-flight requests finish).

use crate::app;
use crate::config::Config;
use crate::db;
use crate::state::AppState;
use actix_web::{web, HttpServer};
use std::time::Duration;

/// Opens the pool, runs the migrations and serves until a shutdown signal.
pub async fn serve(config: Config) -> Result<(), String> {
    if config.jwt_secret_ephemeral {
        log::warn!(
            "JWT_SECRET is not set: using a random secret for this process; tokens will not survive a restart (set JWT_SECRET in production)"
        );
    }
    let pool = open_and_migrate(&config)?;
    spawn_trimmer();
    // Every process delivers the outbox; several share it through leases.
    crate::mail::worker::spawn(pool.clone(), &config)?;
    let mailer = crate::mail::Mailer::new(&config);
    crate::service::event_clock::spawn(pool.clone(), mailer, config.mail.poll.max(Duration::from_secs(1)))?;
    let (addr, reuse_port) = (config.bind_addr, config.bind_reuse_port);
    let workers = config.workers;
    let request_timeout = config.client_request_timeout;
    // Queries and password hashing run on each worker's blocking threads. More threads than
    // pooled connections only wait, and every thread keeps its own allocator arena (argon2
    // takes 19 MiB per hash), so the pool is sized to the connections plus a little headroom.
    let blocking_threads = (config.pool.max_size as usize).div_ceil(workers).max(2) + 2;
    let state = web::Data::new(AppState::new(config, pool));
    let server = HttpServer::new(move || app::build(state.clone()))
        .workers(workers)
        .worker_max_blocking_threads(blocking_threads)
        .client_request_timeout(request_timeout)
        .client_disconnect_timeout(Duration::from_secs(2))
        .keep_alive(Duration::from_secs(30))
        .shutdown_timeout(30);
    let cannot = |e: std::io::Error| format!("cannot listen on {addr} (BIND_ADDR): {e}");
    let server = if reuse_port {
        server.listen(shared_listener(addr).map_err(cannot)?).map_err(cannot)?
    } else {
        server.bind(addr).map_err(cannot)?
    };
    println!("telework-registry listening on http://{addr} — API docs at http://{addr}/docs/");
    server.run().await.map_err(|e| format!("server error: {e}"))
}

/// A listening socket with SO_REUSEPORT (and SO_REUSEADDR and the backlog actix-web's own
/// `bind` gives), which other processes may bind to as well.
fn shared_listener(addr: std::net::SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    #[cfg(not(unix))]
    return Err(std::io::Error::other(
        "BIND_REUSE_PORT needs SO_REUSEPORT, which this system lacks",
    ));
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Connects and applies pending migrations, so a fresh database is ready before requests.
pub fn open_and_migrate(config: &Config) -> Result<db::Pool, String> {
    let pool = db::connect(&config.database, &config.pool)?;
    let unreachable =
        |e: &dyn std::fmt::Display| format!("cannot connect to {} (DATABASE_URL): {e}", config.database.redacted());
    // Waits for the database as long as a request would (DATABASE_POOL_TIMEOUT_MS)...
    drop(pool.get().map_err(|e| unreachable(&e))?);
    // ...and migrates on a connection outside the pool, without the statement time budget:
    // building an index on a large table may well take longer.
    let mut conn = db::open(&config.database).map_err(|e| unreachable(&e))?;
    let ran = db::migrate(&mut conn)?;
    if ran > 0 {
        log::info!("applied {ran} migration(s) to {}", config.database.redacted());
    }
    let keyed = db::duplicates::backfill(&mut conn).map_err(|e| format!("computing duplicate keys: {e}"))?;
    if keyed > 0 {
        log::info!("computed the duplicate flags' keys of {keyed} older activities");
    }
    Ok(pool)
}

/// Keeps glibc's allocator from holding on to memory the server has freed. Measured when it
/// was set: peak RSS over page 1 → filtered → by id → search → create+submit at 100k rows
/// went from 282 MiB to 160 MiB. Kept. Call first in `main`, before any thread starts.
///
/// - glibc raises its mmap threshold to the size of the largest block freed (up to 32 MiB),
///   after which every password hash's 19 MiB block comes from a thread's arena and stays
///   there; a fixed threshold keeps such blocks mapped on their own and returned on free.
/// - Every thread that allocates may get an arena of its own (up to 8 per core), each
///   keeping its free memory; four per core keep most of that memory without making the
///   workers wait for each other's arena (two per core cost page 1 and by-id about a tenth
///   of their rate).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // From glibc's <malloc.h>.
        const M_MMAP_THRESHOLD: i32 = -3;
        const M_ARENA_MAX: i32 = -8;
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // SAFETY: mallopt only changes allocator settings; called before other threads run.
        unsafe {
            mallopt(M_MMAP_THRESHOLD, 256 * 1024);
            mallopt(M_ARENA_MAX, (4 * cores).min(i32::MAX as usize) as i32);
        }
    }
}

/// Starts a thread that hands the memory glibc's arenas hold free back to the system every
/// second (`TRIM_EVERY`). Each arena keeps what its threads freed (a cold page's rows, a response's
/// buffers) for its next allocations and never returns it from the middle of the arena by
/// itself, so a serving process's resident size only grew, scenario after scenario.
/// Measured at 100k rows after the filtered and search scenarios: 96.6 MiB of anonymous
/// memory, 83.4 MiB after one `malloc_trim(0)`. The peak RSS of `bench/run` at 1M rows
/// (SQLite): 161–165 MiB without the thread, 153 MiB trimming every 5 s, 147 MiB every
/// second, the read and write rates within the noise of the runs.
fn spawn_trimmer() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        const TRIM_EVERY: Duration = Duration::from_secs(1);
        let spawned = std::thread::Builder::new().name("malloc-trim".into()).spawn(|| loop {
            std::thread::sleep(TRIM_EVERY);
            // SAFETY: malloc_trim only returns free pages of the arenas to the system.
            unsafe {
                malloc_trim(0);
            }
        });
        if let Err(e) = spawned {
            log::warn!("cannot start the allocator's trim thread: {e}");
        }
    }
}
