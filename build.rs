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
//!
//! A release build for x86-64 Linux with glibc, linked by the toolchain's
//! own LLD (Rust's default there), also lays out its code by
//! `link/hot-functions.txt`: the functions a running fleettop executes,
//! hottest first, ahead of the rest. The kernel maps a program's code in
//! 64 KiB runs around each page it touches, so code spread across the
//! whole binary made all of it resident; gathered, it takes a third.
//! `scripts/hot-functions.sh` writes the list; names it no longer finds
//! (the code changed since) are skipped, so a stale list costs memory,
//! never correctness.
use std::process::Command;

const HOT_FUNCTIONS: &str = "link/hot-functions.txt";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={HOT_FUNCTIONS}");
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let native = var("HOST") == var("TARGET");
    if native && var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" && glibc_has_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    // Only with the default linker: a linker chosen in the flags may not
    // know the option.
    let default_linker = !var("CARGO_ENCODED_RUSTFLAGS").contains("link");
    if native && var("TARGET") == "x86_64-unknown-linux-gnu" && var("PROFILE") == "release" && default_linker {
        let list = format!("{}/{HOT_FUNCTIONS}", var("CARGO_MANIFEST_DIR"));
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={list},--no-warn-symbol-ordering");
    }
    // The linker's map of where each function went, for
    // scripts/hot-functions.sh (the shipped binary has no symbol table).
    println!("cargo:rerun-if-env-changed=FLEETTOP_LINK_MAP");
    let map = var("FLEETTOP_LINK_MAP");
    if !map.is_empty() {
        println!("cargo:rustc-link-arg-bins=-Wl,-Map={map}");
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
