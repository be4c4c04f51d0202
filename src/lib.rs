//! telework-registry: the JSON API behind Japan's Telework Month registry.
//!
//! Registrants submit activities, moderators work an approval queue, and a public listing
//! serves approved activities to any front end. See `README.md` for running it.

pub mod api;
pub mod app;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod client_addr;
pub mod config;
pub mod cors;
pub mod db;
pub mod domain;
pub mod error;
pub mod fallback;
pub mod mail;
pub mod openapi;
pub mod request_id;
pub mod seed;
pub mod server;
pub mod service;
pub mod state;
pub mod web;
pub mod webhook;
