//! One integration test binary; each module is one area of the contract.

mod accounts;
mod authz;
mod budget;
mod cli;
mod common;
mod foundation;
mod fuzz;
mod hygiene;
mod plans;
mod proc_util;
mod process;
mod public;
mod tls;
mod workflow;
