//! One command on a new channel of a host's connection, its output bounded.

use super::verify::{Conn, ssh_words};
use crate::update::SourceError;
use russh::ChannelMsg;

/// What one exec of the probe returned.
#[derive(Debug, Default)]
pub struct Output {
    pub text: String,
    /// Bytes past [`MAX_OUTPUT`] that were not kept.
    pub cut: bool,
    pub stderr_bytes: usize,
    pub exit_status: Option<u32>,
}

/// Why [`exec`] has no output: the connection failed, or the command did
/// not end by the deadline (the host's problem, not the link's).
pub(super) enum ExecError {
    Ssh(SourceError),
    NoAnswer,
}

impl From<SourceError> for ExecError {
    fn from(e: SourceError) -> Self {
        ExecError::Ssh(e)
    }
}

/// Runs `command` on a new channel of `conn`, writes `stdin` to it and
/// closes it, and keeps at most `max` bytes of what it prints.
/// A channel still open at `deadline` is closed (a hung command must not
/// hold one of the server's sessions for ever).
pub(super) async fn exec(
    conn: &Conn,
    command: &str,
    stdin: &[u8],
    max: usize,
    deadline: tokio::time::Instant,
) -> Result<Output, ExecError> {
    let mut ch = conn.channel_open_session().await.map_err(|e| ssh_words(&e))?;
    ch.exec(true, command).await.map_err(|e| ssh_words(&e))?;
    if !stdin.is_empty() {
        ch.data(stdin).await.map_err(|e| ssh_words(&e))?;
    }
    ch.eof().await.map_err(|e| ssh_words(&e))?;
    let mut buf = Vec::new();
    let mut out = Output::default();
    loop {
        let msg = match tokio::time::timeout_at(deadline, ch.wait()).await {
            Ok(Some(m)) => m,
            Ok(None) => break,
            Err(_) => {
                let _ = ch.close().await;
                return Err(ExecError::NoAnswer);
            }
        };
        match msg {
            ChannelMsg::Data { data } => {
                let room = max.saturating_sub(buf.len());
                buf.extend_from_slice(&data[..data.len().min(room)]);
                if data.len() > room {
                    out.cut = true;
                    let _ = ch.close().await;
                    break;
                }
            }
            ChannelMsg::ExtendedData { data, .. } => out.stderr_bytes += data.len(),
            ChannelMsg::ExitStatus { exit_status } => out.exit_status = Some(exit_status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    out.text = String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Ok(out)
}
