//! Connecting to a host: its key checked against known_hosts before
//! anything else, then public-key authentication (identity file or agent).

use super::Target;
use crate::parse::known_hosts;
use crate::update::SourceError;
use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Checks the server's key against known_hosts; keeps its verdict for the
/// error shown when it says no.
pub(super) struct Verifier {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    accept_new: bool,
    verdict: Arc<Mutex<Option<String>>>,
}

impl Verifier {
    fn refuse(&self, why: String) -> bool {
        tracing::warn!(host = %self.host, port = self.port, "{why}");
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        false
    }

    /// Trusts a key only when known_hosts has it ([`known_hosts::verdict`]);
    /// with `accept_new`, learns one only for a host that has no line at
    /// all (a key of another algorithm, a revoked key, a certificate
    /// authority all count).
    fn check(&self, key: &PublicKey) -> bool {
        use known_hosts::Verdict;
        let fp = key.fingerprint(HashAlg::Sha256);
        let text = match std::fs::read_to_string(&self.known_hosts) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return self.refuse(format!("host key not verified: {fp} (known_hosts: {e})")),
        };
        match known_hosts::verdict(&text, &self.host, self.port, key) {
            Verdict::Known => true,
            Verdict::Unknown if self.accept_new => {
                match known_hosts::learn(&self.known_hosts, &text, &self.host, self.port, key) {
                    Ok(()) => {
                        tracing::info!(host = %self.host, port = self.port, "recorded new host key {fp}");
                        true
                    }
                    Err(e) => self.refuse(format!("host key unknown: {fp} (could not record it: {e})")),
                }
            }
            Verdict::Unknown => self.refuse(format!("host key unknown: {fp}")),
            Verdict::Changed { line } => {
                self.refuse(format!("host key changed: {fp} (known_hosts line {line} has another)"))
            }
            Verdict::Revoked { line } => self.refuse(format!("host key revoked: {fp} (known_hosts line {line})")),
            Verdict::RevokedOnly { line } => self.refuse(format!(
                "host key not trusted: {fp} (known_hosts lists only revoked keys for this host, line {line}; not learned)"
            )),
            Verdict::CertAuthorityOnly { line } => self.refuse(format!(
                "host key not trusted: {fp} (known_hosts line {line} trusts a certificate authority; host certificates are not supported)"
            )),
        }
    }
}

impl client::Handler for Verifier {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &russh::keys::PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(match key {
            russh::keys::PublicKeyOrCertificate::PublicKey { key, .. } => self.check(key),
            russh::keys::PublicKeyOrCertificate::Certificate(_) => {
                self.refuse("host certificates are not supported: list the host key in known_hosts".into())
            }
        })
    }
}

fn io_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "connection refused".into(),
        TimedOut => "timed out".into(),
        ConnectionReset | BrokenPipe | UnexpectedEof | ConnectionAborted => "connection lost".into(),
        HostUnreachable | NetworkUnreachable => "no route to host".into(),
        _ => crate::parse::sanitize::sanitize(&e.to_string()),
    }
}

pub(super) fn ssh_words(e: &russh::Error) -> SourceError {
    match e {
        russh::Error::IO(io) => SourceError::Unreachable(io_words(io)),
        russh::Error::Disconnect | russh::Error::HUP | russh::Error::SendError => {
            SourceError::Unreachable("connection lost".into())
        }
        russh::Error::ConnectionTimeout | russh::Error::KeepaliveTimeout | russh::Error::InactivityTimeout => {
            SourceError::Unreachable("timed out".into())
        }
        other => SourceError::Other(crate::parse::sanitize::sanitize(&other.to_string())),
    }
}

pub(super) type Conn = Handle<Verifier>;

/// Connects, verifies the host key, authenticates.
pub(super) async fn connect(t: &Target) -> Result<Conn, SourceError> {
    let verdict = Arc::new(Mutex::new(None));
    let handler = Verifier {
        host: t.host.clone(),
        port: t.port,
        known_hosts: t.known_hosts.clone(),
        accept_new: t.accept_new_host_keys,
        verdict: verdict.clone(),
    };
    let config = Arc::new(client::Config {
        inactivity_timeout: None,
        keepalive_interval: Some(t.interval.max(Duration::from_secs(15))),
        keepalive_max: 3,
        // The read buffer grows to the largest packet and stays: 8 KiB
        // packets instead of 32 KiB save ~24 KiB per host (a probe's
        // ~20 KiB answer is then three packets instead of one).
        maximum_packet_size: 8192,
        ..Default::default()
    });
    let connected = client::connect(config, (t.host.as_str(), t.port), handler).await;
    let refused = verdict.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(why) = refused {
        return Err(SourceError::Auth(why));
    }
    let mut conn = connected.map_err(|e| ssh_words(&e))?;
    authenticate(&mut conn, t).await?;
    Ok(conn)
}

async fn authenticate(conn: &mut Conn, t: &Target) -> Result<(), SourceError> {
    let refused = || SourceError::Auth(format!("{}@{}: public key refused", t.user, t.host));
    if let Some(path) = &t.identity_file {
        let key = russh::keys::load_secret_key(path, None)
            .map_err(|e| SourceError::Auth(format!("identity_file {}: {e}", path.display())))?;
        let hash = if key.algorithm().is_rsa() {
            conn.best_supported_rsa_hash().await.ok().flatten().flatten()
        } else {
            None
        };
        let r = conn
            .authenticate_publickey(&t.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(|e| ssh_words(&e))?;
        return if r.success() { Ok(()) } else { Err(refused()) };
    }
    let mut agent = russh::keys::agent::client::AgentClient::connect_env()
        .await
        .map_err(|e| SourceError::Auth(format!("no identity_file and no ssh-agent ({e})")))?;
    let ids = agent
        .request_identities()
        .await
        .map_err(|e| SourceError::Auth(format!("ssh-agent: {e}")))?;
    if ids.is_empty() {
        return Err(SourceError::Auth("ssh-agent holds no keys".into()));
    }
    for id in ids {
        let key = id.public_key().into_owned();
        let hash = if key.algorithm().is_rsa() {
            conn.best_supported_rsa_hash().await.ok().flatten().flatten()
        } else {
            None
        };
        match conn.authenticate_publickey_with(&t.user, key, hash, &mut agent).await {
            Ok(r) if r.success() => return Ok(()),
            Ok(_) => {}
            Err(e) => tracing::debug!(host = %t.name, "agent key: {e:?}"),
        }
    }
    Err(refused())
}
