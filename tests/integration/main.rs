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
mod plans;
mod proc_util;
mod process;
mod public;
mod request_id;
mod web;
mod workflow;
