//! Prints the fixed probe command fleettop runs on every SSH host, as it is
//! sent: to audit it, or to run it by hand (`sh -c "$(…)"`) and compare.
//!
//!     cargo run --example probe_command [-- --gpu]

fn main() {
    let gpu = std::env::args().any(|a| a == "--gpu");
    let command = if gpu {
        fleettop::parse::probe::COMMAND_GPU
    } else {
        fleettop::parse::probe::COMMAND
    };
    print!("{command}");
}
