//! Inference servers' Prometheus pages (vLLM, llama.cpp).

use crate::model::{HostSample, InferenceCounters};
use std::time::Duration;

/// Pages larger than this are cut: a metrics page is a few hundred KiB.
pub const MAX_BODY: usize = 4 << 20;

pub struct Scraper {
    url: Option<String>,
    client: Option<reqwest::Client>,
}

pub type Poll = Option<Result<(InferenceCounters, usize), String>>;

impl Scraper {
    pub fn new(url: Option<String>, timeout: Duration) -> Self {
        let client = url.as_ref().and_then(|_| super::http_client(timeout).ok());
        Scraper { url, client }
    }

    pub async fn poll(&mut self) -> Poll {
        let url = self.url.as_ref()?;
        let Some(client) = &self.client else {
            return Some(Err("no HTTP client".into()));
        };
        Some(fetch(client, url).await)
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<(InferenceCounters, usize), String> {
    let resp = client.get(url).send().await.map_err(|e| super::http_error_words(&e))?;
    if !resp.status().is_success() {
        return Err(format!("metrics: HTTP {}", resp.status().as_u16()));
    }
    let body = super::read_bounded(resp, MAX_BODY).await?;
    let parsed = crate::parse::prometheus::parse(&String::from_utf8_lossy(&body));
    if parsed.errors > 0 {
        tracing::warn!(errors = parsed.errors, first = ?parsed.first_error, url = %crate::parse::redact::redact_url(url), "metrics lines unreadable");
    }
    let counters = crate::parse::prometheus::inference(&parsed.value);
    if counters == InferenceCounters::default() {
        return Err("no vLLM or llama.cpp metrics on the page".into());
    }
    Ok((counters, parsed.errors))
}

pub(crate) fn fill(sample: &mut HostSample, poll: Poll) {
    match poll {
        None => {}
        Some(Ok((c, errors))) => {
            sample.inference = Some(c);
            sample.parse_errors += errors;
        }
        Some(Err(e)) => sample.inference_error = Some(e),
    }
}
