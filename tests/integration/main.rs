//! One integration test binary; each module is one area of the contract.

mod accounts;
mod authz;
mod common;
mod foundation;
mod plans;
mod public;
mod workflow;
