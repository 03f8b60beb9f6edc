//! Links the fleettop binary with packed relative relocations (`DT_RELR`)
//! where that is safe: a position-independent binary otherwise carries half
//! a megabyte of 24-byte relocation records that the loader reads at every
//! start and that stay resident; packed, they take a few kilobytes.
//!
//! Only glibc 2.36 and later load such a binary, so the option is used only
//! for a native build on a machine whose glibc is 2.36 or later (the binary
//! then also records that it needs it, `GLIBC_ABI_DT_RELR`, and an older
//! glibc refuses it with a clear message). Cross builds, musl (the Pi's
//! static build) and older systems link the usual way.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let native = var("HOST") == var("TARGET");
    if native && var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" && glibc_has_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether this machine's glibc (`getconf GNU_LIBC_VERSION`: "glibc 2.36")
/// is 2.36 or later.
fn glibc_has_relr() -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}
