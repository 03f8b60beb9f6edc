//! Every integration test of fleettop, in one binary: one module per
//! subject, real parts (nats-server, sshd, dockerd, tmux, HTTP servers) from
//! `common`. A test that needs a program this machine lacks skips saying so,
//! or fails under `FLEETTOP_IT=1` ([`common::require`]).
//!
//! The modules run in parallel threads of one process, so a test must not
//! change process-wide state (env vars, the current directory): it passes
//! env to the children it starts. The library has no process-wide state:
//! each app's connections are its own (`sources::Handles`).
//!
//! `cargo test --test it ssh::` runs one module; insta snapshots are in
//! `snapshots/`, named `it__<module>__<name>.snap`.

mod common;

mod agents_cli;
mod agents_due;
mod agents_flood;
mod agents_nats;
mod agents_render;
mod agents_ssh;
mod alerts;
mod bus_authority;
mod cert;
mod cli;
mod contracts;
mod demo;
mod depends;
mod docker;
mod fleet_grid;
mod idle_process;
mod inference;
mod launchd;
mod local_sources;
mod mac;
mod malloc_arenas;
mod metric;
mod nats;
mod panic_cli;
mod problems;
mod process_identity;
mod prop_render;
mod props;
mod push;
mod quiet_pty;
mod read_only;
mod render;
mod secrets;
mod services;
mod services_render;
mod services_ssh;
mod ssh;
mod ssh_hostile;
mod ssh_tables;
mod systemd_units;
mod ticker_step;
mod times;
mod tui_tmux;
mod wakeups;
