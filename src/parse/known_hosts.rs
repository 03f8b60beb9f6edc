//! What an OpenSSH `known_hosts` file says of one host, read by fleettop
//! itself: a key of any algorithm counts as recorded, hashed names
//! (`|1|salt|hash`) and `[host]:port` are matched, and `@revoked` and
//! `@cert-authority` lines are not skipped. A host is only *unknown* (and so
//! a key may be learned for it) when no line of any kind names it.

use russh::keys::PublicKey;
use russh::keys::ssh_key::known_hosts::HostPatterns;
use std::io::Write;
use std::path::Path;

/// What known_hosts says of the key a host offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A plain line has this very key.
    Known,
    /// No line names the host: the only case in which a key may be learned.
    Unknown,
    /// A `@revoked` line has this key: refused, never learned.
    Revoked { line: usize },
    /// Lines name the host, none with this key (another key, another
    /// algorithm, or a key fleettop cannot read).
    Changed { line: usize },
    /// Only `@cert-authority` lines name the host; host certificates are not
    /// supported, so a plain key is not trusted and not learned.
    CertAuthorityOnly { line: usize },
    /// Only `@revoked` lines (for other keys) name the host: not unknown.
    RevokedOnly { line: usize },
}

/// How a host on `port` is written in known_hosts.
pub(crate) fn host_name(host: &str, port: u16) -> String {
    if port == 22 {
        host.to_string()
    } else {
        format!("[{host}]:{port}")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Plain,
    Revoked,
    CertAuthority,
}

/// One line, split: marker, host field, key (`None` when fleettop cannot
/// read it: it still counts as a key recorded for the host).
fn split_line(line: &str) -> Option<(Marker, &str, Option<PublicKey>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (marker, rest) = match line.split_once(char::is_whitespace) {
        Some(("@revoked", rest)) => (Marker::Revoked, rest),
        Some(("@cert-authority", rest)) => (Marker::CertAuthority, rest),
        Some((m, _)) if m.starts_with('@') => return None,
        _ => (Marker::Plain, line),
    };
    let (hosts, key) = rest.trim_start().split_once(char::is_whitespace)?;
    Some((marker, hosts, PublicKey::from_openssh(key.trim()).ok()))
}

fn hmac_sha1(salt: &[u8], name: &str) -> Option<[u8; 20]> {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(salt).ok()?;
    mac.update(name.as_bytes());
    Some(mac.finalize().into_bytes().into())
}

/// `*` and `?` globbing, as OpenSSH matches host patterns; linear in the
/// text for each star (one backtracking point), whatever the pattern.
fn glob(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// Whether the host field of a line names `name` (already `[host]:port`
/// when not on port 22): a hashed name, or a pattern list in which a
/// negated pattern (`!pat`) that matches wins over every other.
fn names(hosts: &str, name: &str) -> bool {
    if hosts.starts_with("|1|") {
        return match hosts.parse::<HostPatterns>() {
            Ok(HostPatterns::HashedName { salt, hash }) => hmac_sha1(&salt, name) == Some(hash),
            _ => false,
        };
    }
    let name = name.to_ascii_lowercase();
    let mut hit = false;
    for pat in hosts.split(',') {
        let (negated, pat) = match pat.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pat),
        };
        // A pattern longer than any host name is no pattern; bounding it
        // bounds the globbing too.
        if pat.len() > 1024 {
            continue;
        }
        if glob(pat.to_ascii_lowercase().as_bytes(), name.as_bytes()) {
            if negated {
                return false;
            }
            hit = true;
        }
    }
    hit
}

/// What `text` (a known_hosts file) says of `key` offered by `host:port`.
pub(crate) fn verdict(text: &str, host: &str, port: u16, key: &PublicKey) -> Verdict {
    let name = host_name(host, port);
    let same = |k: &Option<PublicKey>| k.as_ref().is_some_and(|k| k.key_data() == key.key_data());
    let (mut plain, mut ca, mut revoked) = (None, None, None);
    for (n, line) in text.lines().enumerate() {
        let Some((marker, hosts, recorded)) = split_line(line) else {
            continue;
        };
        if !names(hosts, &name) {
            continue;
        }
        let line = n + 1;
        match marker {
            Marker::Revoked if same(&recorded) => return Verdict::Revoked { line },
            Marker::Revoked => revoked = revoked.or(Some(line)),
            Marker::CertAuthority => ca = ca.or(Some(line)),
            Marker::Plain if same(&recorded) => plain = Some((line, true)),
            Marker::Plain => plain = plain.or(Some((line, false))),
        }
    }
    match (plain, ca, revoked) {
        (Some((_, true)), _, _) => Verdict::Known,
        (Some((line, false)), _, _) => Verdict::Changed { line },
        (None, Some(line), _) => Verdict::CertAuthorityOnly { line },
        (None, None, Some(line)) => Verdict::RevokedOnly { line },
        (None, None, None) => Verdict::Unknown,
    }
}

/// Whether the file names its hosts hashed (any line does).
fn hashes(text: &str) -> bool {
    text.lines()
        .filter_map(split_line)
        .any(|(_, hosts, _)| hosts.starts_with("|1|"))
}

/// The line that records `key` for `host:port`: hashed with a fresh salt
/// when `hashed`.
pub(crate) fn line_for(host: &str, port: u16, key: &PublicKey, hashed: bool) -> Result<String, String> {
    let name = host_name(host, port);
    let name = if hashed {
        let salt: [u8; 20] = random();
        let hash = hmac_sha1(&salt, &name).ok_or("no HMAC")?;
        HostPatterns::HashedName {
            salt: salt.to_vec(),
            hash,
        }
        .to_string()
    } else {
        name
    };
    let mut key = key.clone();
    key.set_comment("");
    let key = key.to_openssh().map_err(|e| e.to_string())?;
    Ok(format!("{name} {}\n", key.trim()))
}

/// Appends the line for a new host key to `path` (made, mode 0600, when
/// missing); hashed when the file already hashes its names. The caller has
/// checked that the host is [`Verdict::Unknown`] in `text`, the file as read.
pub(crate) fn learn(path: &Path, text: &str, host: &str, port: u16, key: &PublicKey) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let mut line = line_for(host, port, key, hashes(text))?;
    if !text.is_empty() && !text.ends_with('\n') {
        line.insert(0, '\n');
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| e.to_string())?;
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| e.to_string())
}

/// `N` random bytes from the system (a salt, a marker). Without
/// /dev/urandom, std's per-process random hash keys stand in.
pub fn random<const N: usize>() -> [u8; N] {
    use std::io::Read;
    let mut out = [0u8; N];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut out));
    if read.is_err() {
        use std::hash::{BuildHasher, Hasher};
        for chunk in out.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(std::time::SystemTime::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos()));
            chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const ED2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";

    fn key(s: &str) -> PublicKey {
        PublicKey::from_openssh(s).unwrap()
    }

    #[test]
    fn plain_port_and_patterns() {
        let k = key(ED);
        assert_eq!(verdict(&format!("web1 {ED}\n"), "web1", 22, &k), Verdict::Known);
        assert_eq!(verdict(&format!("web1 {ED}\n"), "web1", 2222, &k), Verdict::Unknown);
        assert_eq!(
            verdict(&format!("[web1]:2222 {ED}\n"), "web1", 2222, &k),
            Verdict::Known
        );
        assert_eq!(
            verdict(&format!("a,WEB?,c {ED} a comment\n"), "web1", 22, &k),
            Verdict::Known
        );
        assert_eq!(
            verdict(&format!("*.lan,!db.lan {ED}\n"), "web.lan", 22, &k),
            Verdict::Known
        );
        assert_eq!(
            verdict(&format!("*.lan,!db.lan {ED}\n"), "db.lan", 22, &k),
            Verdict::Unknown
        );
        assert_eq!(
            verdict(&format!("# web1 {ED}\n\nweb2 {ED}\n"), "web1", 22, &k),
            Verdict::Unknown
        );
    }

    #[test]
    fn any_other_key_of_any_algorithm_is_a_change() {
        let k = key(ED);
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7";
        let text = format!("web1 {ED2}\n");
        assert_eq!(verdict(&text, "web1", 22, &k), Verdict::Changed { line: 1 });
        // A key fleettop cannot read (cut, unknown algorithm) still names it.
        assert_eq!(
            verdict(&format!("x {ED}\nweb1 {rsa}\n"), "web1", 22, &k),
            Verdict::Changed { line: 2 }
        );
        assert_eq!(
            verdict("web1 sk-unknown-algo@x AAAA\n", "web1", 22, &k),
            Verdict::Changed { line: 1 }
        );
        // The right key on any line wins over another key on another line.
        assert_eq!(
            verdict(&format!("web1 {ED2}\nweb1 {ED}\n"), "web1", 22, &k),
            Verdict::Known
        );
    }

    #[test]
    fn revoked_and_cert_authority_lines_count() {
        let k = key(ED);
        assert_eq!(
            verdict(&format!("@revoked web1 {ED}\nweb1 {ED}\n"), "web1", 22, &k),
            Verdict::Revoked { line: 1 }
        );
        assert_eq!(
            verdict(&format!("web1 {ED}\n@revoked * {ED}\n"), "web1", 22, &k),
            Verdict::Revoked { line: 2 }
        );
        assert_eq!(
            verdict(&format!("@revoked web1 {ED2}\n"), "web1", 22, &k),
            Verdict::RevokedOnly { line: 1 }
        );
        assert_eq!(
            verdict(&format!("@cert-authority *.lan {ED2}\n"), "web1.lan", 22, &k),
            Verdict::CertAuthorityOnly { line: 1 }
        );
        assert_eq!(
            verdict(&format!("@bogus web1 {ED2}\n"), "web1", 22, &k),
            Verdict::Unknown
        );
    }

    #[test]
    fn hashed_names_match_and_learned_lines_are_hashed_like_the_file() {
        let k = key(ED);
        let hashed = line_for("10.0.0.7", 2222, &k, true).unwrap();
        assert!(
            hashed.starts_with("|1|") && hashed.ends_with(&format!("{ED}\n")),
            "{hashed}"
        );
        assert_eq!(verdict(&hashed, "10.0.0.7", 2222, &k), Verdict::Known);
        assert_eq!(verdict(&hashed, "10.0.0.7", 22, &k), Verdict::Unknown);
        assert_eq!(
            verdict(&hashed, "10.0.0.7", 2222, &key(ED2)),
            Verdict::Changed { line: 1 }
        );
        // Two hashings of one name differ (fresh salt).
        assert_ne!(hashed, line_for("10.0.0.7", 2222, &k, true).unwrap());
        assert!(hashes(&hashed) && !hashes(&format!("web1 {ED}\n")));
        assert_eq!(line_for("web1", 22, &k, false).unwrap(), format!("web1 {ED}\n"));
    }

    #[test]
    fn learning_appends_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ssh/known_hosts");
        learn(&path, "", "web1", 22, &key(ED)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("web1 {ED}\n"));
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        // A file without a final newline gets one first; hashing follows the file.
        let hashed = line_for("web1", 22, &key(ED), true).unwrap();
        std::fs::write(&path, hashed.trim_end()).unwrap();
        learn(&path, hashed.trim_end(), "web2", 22, &key(ED2)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[1].starts_with("|1|"), "{text}");
        assert_eq!(verdict(&text, "web2", 22, &key(ED2)), Verdict::Known);
    }

    #[test]
    fn garbage_never_panics() {
        let k = key(ED);
        for t in [
            "",
            "\n",
            "@revoked",
            "@revoked web1",
            "|1|",
            "|1|x|y ssh-ed25519 A",
            "web1",
            "a,,b  x",
        ] {
            let _ = verdict(t, "web1", 22, &k);
        }
        let long = format!("{} {ED}\n", "*".repeat(5000));
        assert_eq!(verdict(&long, "web1", 22, &k), Verdict::Unknown);
        // Many stars against a long name: no exponential backtracking.
        let stars = format!("{}b {ED}\n", "*a".repeat(500));
        assert_eq!(verdict(&stars, &"a".repeat(255), 22, &k), Verdict::Unknown);
        assert!(glob(b"*a?c*", b"xxabcyy") && !glob(b"a*c", b"abcd") && glob(b"**", b""));
    }
}
