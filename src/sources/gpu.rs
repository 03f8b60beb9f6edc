//! GPUs through `nvidia-smi -q -x`, when it is installed (or asked for).

use crate::config::GpuMode;
use crate::model::{Gpu, HostSample};
use std::time::Duration;

pub struct Probe {
    mode: GpuMode,
    present: Option<bool>,
}

pub type Poll = Option<Result<(Vec<Gpu>, usize), String>>;

impl Probe {
    pub fn new(mode: GpuMode) -> Self {
        Probe { mode, present: None }
    }

    /// None when GPUs are off or (for `auto`) `nvidia-smi` is not installed.
    pub async fn poll(&mut self, timeout: Duration) -> Poll {
        if !self.mode.wanted() {
            return None;
        }
        let present = *self.present.get_or_insert_with(|| find_in_path("nvidia-smi"));
        if !present && self.mode == GpuMode::Auto {
            return None;
        }
        let mut cmd = tokio::process::Command::new("nvidia-smi");
        cmd.args(["-q", "-x"])
            .kill_on_drop(true)
            .stdin(std::process::Stdio::null());
        let out = match tokio::time::timeout(timeout, cmd.output()).await {
            Err(_) => return Some(Err(format!("nvidia-smi did not answer within {}s", timeout.as_secs()))),
            Ok(Err(e)) => return Some(Err(format!("nvidia-smi: {e}"))),
            Ok(Ok(o)) => o,
        };
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let msg = crate::parse::sanitize::sanitize(err.lines().next().unwrap_or("failed"));
            return Some(Err(format!("nvidia-smi: {msg}")));
        }
        let parsed = crate::parse::nvidia_smi::parse(&String::from_utf8_lossy(&out.stdout));
        if parsed.errors > 0 {
            tracing::warn!(errors = parsed.errors, first = ?parsed.first_error, "nvidia-smi output partly unreadable");
        }
        Some(Ok((parsed.value, parsed.errors)))
    }
}

pub(crate) fn fill(sample: &mut HostSample, poll: Poll) {
    match poll {
        None => {}
        Some(Ok((gpus, errors))) => {
            sample.gpus = gpus;
            sample.parse_errors += errors;
        }
        Some(Err(e)) => sample.gpu_error = Some(e),
    }
}

pub(crate) fn find_in_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}
