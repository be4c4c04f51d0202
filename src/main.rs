//! Thin entry point: command line → configuration → logging → the chosen command.

use clap::Parser;
use std::io::Read;
use std::process::ExitCode;
use telework_registry::cli::{Cli, Command};
use telework_registry::config::Config;
use telework_registry::{openapi, seed, server};

fn main() -> ExitCode {
    server::tune_allocator();
    let _ = dotenvy::dotenv();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(log_line)
        .init();
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", openapi::spec_json());
        return ExitCode::SUCCESS;
    }
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(&format!("configuration error: {e}")),
    };
    let command = cli.command.unwrap_or(Command::Serve);
    if !matches!(command, Command::Serve) {
        // The time budget protects a serving process; a command's long statements (a seed
        // of many rows, a migration) are meant.
        config.pool.statement_timeout = None;
    }
    let result = match command {
        Command::Serve => actix_web::rt::System::new().block_on(server::serve(config)),
        Command::Migrate => server::open_and_migrate(&config).map(|_| println!("migrations are up to date")),
        Command::Openapi => unreachable!("handled above"),
        Command::CreateAdmin { email, display_name } => read_password()
            .and_then(|password| {
                let pool = server::open_and_migrate(&config)?;
                let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
                let hasher = telework_registry::auth::password::Hasher::new(config.password_cost);
                telework_registry::service::accounts::create_admin(&mut conn, &hasher, &email, &password, &display_name)
            })
            .map(|(id, email)| println!("created admin {email} ({id})")),
        Command::Purge {
            campaign,
            older_than_days,
            apply,
        } => server::open_and_migrate(&config)
            .and_then(|pool| {
                let mut conn = pool.get().map_err(|e| format!("database: {e}"))?;
                let mailer = telework_registry::mail::Mailer::new(&config);
                telework_registry::service::erasure::purge(&mut conn, &mailer, &campaign, older_than_days, apply)
                    .map_err(|e| e.to_string())
            })
            .map(|p| {
                let verb = if p.applied {
                    "erased"
                } else {
                    "would erase (dry run; --apply erases)"
                };
                println!("{verb}: {} applicants, {} accounts", p.applicants, p.accounts)
            }),
        Command::SeedDemo { activities } => server::open_and_migrate(&config)
            .and_then(|pool| seed::seed_demo(&pool, activities))
            .map(|report| println!("{report}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// env_logger's own layout, plus ` request_id=<id>` on lines written while serving a request.
fn log_line(buf: &mut env_logger::fmt::Formatter, record: &log::Record) -> std::io::Result<()> {
    use std::io::Write;
    let level = buf.default_level_style(record.level());
    let (ts, target, args) = (buf.timestamp(), record.target(), record.args());
    write!(buf, "[{ts} {level}{:<5}{level:#} {target}] {args}", record.level())?;
    match telework_registry::request_id::current() {
        Some(id) => writeln!(buf, " request_id={id}"),
        None => writeln!(buf),
    }
}

fn read_password() -> Result<String, String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = input.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        return Err(
            "no password on standard input (pipe it in: `echo … | telework-registry create-admin --email E`)".into(),
        );
    }
    Ok(password)
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}
