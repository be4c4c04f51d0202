//! One integration test binary; each module is one area of the contract.

mod accounts;
mod authz;
mod budget;
mod cli;
mod client_addr;
mod common;
mod foundation;
mod fuzz;
mod head;
mod house;
mod hygiene;
mod links;
mod outage;
mod plan_util;
mod plans;
mod proc_util;
mod process;
mod public;
mod public_more;
mod queue;
mod request_id;
mod tls;
mod web;
mod workflow;
