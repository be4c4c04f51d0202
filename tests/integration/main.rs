//! One integration test binary; each module is one area of the contract.

mod accounts;
mod authz;
mod cli;
mod client_addr;
mod common;
mod foundation;
mod fuzz;
mod head;
mod house;
mod hygiene;
mod links;
mod mail_accounts;
mod mail_outbox;
mod mail_process;
mod plans;
mod proc_util;
mod process;
mod proxy;
mod public;
mod request_id;
mod smtp;
mod workflow;
