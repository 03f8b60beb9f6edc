//! `[[services.http]]` TLS keys: `ca_file` must be a readable PEM file of
//! certificates, `cert_warn_days` a sane number of days.

use super::{Config, Problem, expand_tilde};

/// The most `cert_warn_days` may be (ten years).
const MAX_WARN_DAYS: u32 = 3650;

/// The extra trusted roots in the PEM file at `path`; at least one.
pub(crate) fn load_ca(path: &str) -> Result<Vec<reqwest::Certificate>, String> {
    let p = expand_tilde(path);
    let pem = std::fs::read(&p).map_err(|e| format!("ca_file {path:?}: {e}"))?;
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        Ok(_) => Err(format!("ca_file {path:?}: no PEM certificate in it")),
        Err(e) => Err(format!("ca_file {path:?}: not PEM certificates: {e}")),
    }
}

pub(super) fn validate(c: &Config, out: &mut Vec<Problem>) {
    for h in &c.services.http {
        if let Some(f) = &h.ca_file
            && let Err(e) = load_ca(f.get_ref())
        {
            out.push((f.span(), e));
        }
        if let Some(d) = &h.cert_warn_days
            && *d.get_ref() > MAX_WARN_DAYS
        {
            out.push((d.span(), format!("cert_warn_days must be 0..={MAX_WARN_DAYS}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_str;

    fn err(text: &str) -> String {
        let e = parse_str(text, "cfg.toml").expect_err("should be rejected");
        format!("{}", e[0])
    }

    const BASE: &str = "[[services.http]]\nname = \"api\"\nurl = \"https://x/\"\n";

    #[test]
    fn an_unreadable_ca_file_points_at_the_key() {
        let e = err(&format!("{BASE}ca_file = \"/nonexistent/ca.pem\"\n"));
        assert!(e.starts_with("cfg.toml:4:11"), "{e}");
        assert!(e.contains("ca_file \"/nonexistent/ca.pem\""), "{e}");
    }

    #[test]
    fn a_ca_file_without_certificates_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "not a certificate\n").unwrap();
        let e = err(&format!("{BASE}ca_file = {:?}\n", p.to_str().unwrap()));
        assert!(e.contains("no PEM certificate"), "{e}");
    }

    #[test]
    fn a_real_pem_is_accepted_and_warn_days_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, include_str!("../../tests/fixtures/x509/utc.pem")).unwrap();
        let ok = format!("{BASE}ca_file = {:?}\ncert_warn_days = 30\n", p.to_str().unwrap());
        assert!(parse_str(&ok, "cfg.toml").is_ok());
        let e = err(&format!("{BASE}cert_warn_days = 9999\n"));
        assert!(e.starts_with("cfg.toml:4:18"), "{e}");
    }
}
