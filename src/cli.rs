//! The command line: `serve` (the default), `migrate`, `openapi`, `create-admin`, `seed-demo`,
//! `purge`.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "telework-registry", version, about = "The Telework Month registry API")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Create an admin account; the password is read from standard input.
    CreateAdmin {
        /// The admin's email address.
        #[arg(long)]
        email: String,
        /// The public display name.
        #[arg(long, default_value = "Administrator")]
        display_name: String,
    },
    /// After a campaign: erase the private data of the applicants to its sessions and of the
    /// registrants with no activity in a later campaign. Prints the counts; changes nothing
    /// without `--apply`.
    Purge {
        /// The campaign's slug.
        #[arg(long)]
        campaign: String,
        /// Only if the campaign ended more than this many days ago.
        #[arg(long)]
        older_than_days: i64,
        /// Erase (without it, a dry run).
        #[arg(long)]
        apply: bool,
    },
    /// Create, if absent, an open demo campaign with approved and pending activities.
    SeedDemo {
        /// How many approved activities to create.
        #[arg(long, default_value_t = 1000)]
        activities: usize,
    },
}
