//! Prints the fixed probe fleettop runs on every SSH host, as `sh` reads it
//! on its standard input (the command line is `exec sh`), with the marker
//! `@@fleettop` in place of a poll's random one: to audit it, or to run it
//! by hand and compare (`cargo run --example probe_command | sh`).
//!
//!     cargo run --example probe_command [-- --gpu]

fn main() {
    let gpu = std::env::args().any(|a| a == "--gpu");
    print!("{}", fleettop::parse::probe::stdin("@@fleettop", gpu));
}
