//! fleettop: an htop-like terminal monitor for a small fleet of machines and
//! the services and AI daemons on them.

#![warn(clippy::too_many_lines)]

pub mod action;
pub mod app;
pub mod cli;
pub mod config;
#[doc(hidden)]
pub mod fixture;
pub mod fmt;
#[doc(hidden)]
pub mod fuzzing;
pub mod headless;
#[cfg(test)]
mod layers;
pub mod logging;
pub mod metric;
pub mod model;
pub mod parse;
pub mod prefs;
pub mod push_agent;
pub mod sanitize;
pub mod snapshot;
pub mod sources;
pub mod store;
pub mod tab;
pub mod term;
pub mod theme;
pub mod ui;
pub mod update;
