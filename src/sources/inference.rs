//! A host's `metrics_url`: an inference server's Prometheus page (vLLM,
//! llama.cpp), or an Ollama server (its `/api/ps` and `/api/version`).
//!
//! Which one: a URL whose path ends in `/api/ps` is Ollama; so is a URL
//! whose answer is Ollama's root banner ("Ollama is running", e.g.
//! `http://host:11434/`), remembered after the first poll; anything else is
//! read as a Prometheus page.
//!
//! Where it is fetched from: here, except for an SSH host whose URL is on
//! the host's loopback (`localhost`, `127.0.0.0/8`, `[::1]`), which is
//! fetched through the host's SSH connection by a fixed script running
//! `curl` (else `wget`) there, the URL on its standard input; the page is
//! bounded ([`MAX_BODY`]) either way.

use crate::model::{HostSample, InferenceCounters, Ollama};
use crate::parse::{ollama, prometheus};
use std::time::Duration;

/// Pages larger than this are cut: a metrics page is a few hundred KiB.
pub const MAX_BODY: usize = 4 << 20;

/// What one poll read.
#[derive(Debug)]
pub enum Page {
    /// A Prometheus page's counters, and its lines that did not parse.
    Counters(InferenceCounters, usize),
    Ollama(Ollama),
}

pub type Poll = Option<Result<Page, String>>;

enum Via {
    Here(Option<reqwest::Client>),
    Link { host: String, links: super::ssh::Links },
}

pub struct Scraper {
    url: Option<String>,
    via: Via,
    timeout: Duration,
    /// The Ollama API's base URL, once the URL is known to be Ollama.
    ollama_base: Option<String>,
    ollama_version: Option<String>,
}

impl Scraper {
    /// A scraper that fetches from where fleettop runs.
    pub fn new(url: Option<String>, timeout: Duration) -> Self {
        let client = url.as_ref().and_then(|_| super::http_client(timeout).ok());
        Self::with(url, Via::Here(client), timeout)
    }

    /// An SSH host's scraper: through `links` when the URL is on the host's
    /// loopback, else from here.
    pub(crate) fn ssh(url: Option<String>, host: &str, links: super::ssh::Links, timeout: Duration) -> Self {
        match url {
            Some(u) if on_loopback(&u) => {
                let via = Via::Link {
                    host: host.to_string(),
                    links,
                };
                Self::with(Some(u), via, timeout)
            }
            url => Self::new(url, timeout),
        }
    }

    fn with(url: Option<String>, via: Via, timeout: Duration) -> Self {
        let ollama_base = url
            .as_deref()
            .and_then(|u| u.strip_suffix("/api/ps"))
            .map(str::to_string);
        Scraper {
            url,
            via,
            timeout,
            ollama_base,
            ollama_version: None,
        }
    }

    pub async fn poll(&mut self) -> Poll {
        let url = self.url.clone()?;
        if self.ollama_base.is_some() {
            return Some(self.ollama().await);
        }
        Some(match self.get(&url).await {
            Ok(body) if ollama::is_root_banner(&body) => {
                self.ollama_base = Some(url.trim_end_matches('/').to_string());
                self.ollama().await
            }
            Ok(body) => counters(&body, &url),
            Err(e) => Err(e),
        })
    }

    async fn ollama(&mut self) -> Result<Page, String> {
        let base = self.ollama_base.clone().unwrap_or_default();
        let body = self.get(&format!("{base}/api/ps")).await?;
        let models = ollama::ps(&body)?;
        if self.ollama_version.is_none() {
            // Asked until it answers once; a failure here is not the page's.
            if let Ok(v) = self.get(&format!("{base}/api/version")).await {
                self.ollama_version = ollama::version(&v);
            }
        }
        Ok(Page::Ollama(Ollama {
            version: self.ollama_version.clone(),
            models,
        }))
    }

    /// The body of a successful GET of `url`, at most [`MAX_BODY`] bytes.
    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        match &self.via {
            Via::Here(None) => Err("no HTTP client".into()),
            Via::Here(Some(client)) => {
                let resp = client.get(url).send().await.map_err(|e| super::http_error_words(&e))?;
                if !resp.status().is_success() {
                    return Err(format!("metrics: HTTP {}", resp.status().as_u16()));
                }
                super::read_bounded(resp, MAX_BODY).await
            }
            Via::Link { host, links } => through_link(links, host, url, self.timeout).await,
        }
    }
}

fn counters(body: &[u8], url: &str) -> Result<Page, String> {
    let parsed = prometheus::parse(&String::from_utf8_lossy(body));
    if parsed.errors > 0 {
        tracing::warn!(errors = parsed.errors, first = ?parsed.first_error, url = %crate::parse::redact::redact_url(url), "metrics lines unreadable");
    }
    let counters = prometheus::inference(&parsed.value);
    if counters == InferenceCounters::default() {
        return Err("no vLLM or llama.cpp metrics on the page".into());
    }
    Ok(Page::Counters(counters, parsed.errors))
}

/// True when the URL's host is the loopback of the machine it is fetched on.
pub(crate) fn on_loopback(url: &str) -> bool {
    let Ok(u) = reqwest::Url::parse(url) else { return false };
    let Some(host) = u.host_str() else { return false };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Run on the host: the URL and the time allowed on standard input; curl's
/// exit status as is, wget's plus 100, 127 when it has neither.
const FETCH: &str = r#"IFS= read -r url; IFS= read -r secs
if command -v curl >/dev/null 2>&1; then
  curl -fsS --max-time "$secs" --max-filesize 4194304 "$url" 2>/dev/null; exit $?
elif command -v wget >/dev/null 2>&1; then
  wget -q -T "$secs" -O - "$url" 2>/dev/null || exit $((100 + $?))
else
  exit 127
fi"#;

async fn through_link(links: &super::ssh::Links, host: &str, url: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let secs = format!("{:.1}", timeout.as_secs_f64().max(0.1));
    let out = links
        .run(host, FETCH, &[url, &secs], MAX_BODY, timeout + Duration::from_secs(1))
        .await?;
    match out.exit_status {
        Some(0) if out.cut => Err(format!("metrics: the page is over {} MiB", MAX_BODY >> 20)),
        Some(0) => Ok(out.text.into_bytes()),
        Some(code) => Err(format!("metrics over ssh: {}", fetch_words(code))),
        None => Err("metrics over ssh: the fetch ended without a status".into()),
    }
}

/// A fetch's exit status in words (curl's codes; wget's are 100 + its own).
fn fetch_words(code: u32) -> String {
    match code {
        127 => "neither curl nor wget on the host".into(),
        6 => "curl: cannot resolve the host".into(),
        7 => "curl: connection refused".into(),
        22 => "curl: HTTP error status".into(),
        28 => "curl: timed out".into(),
        63 => format!("curl: the page is over {} MiB", MAX_BODY >> 20),
        104 => "wget: network failure".into(),
        108 => "wget: HTTP error status".into(),
        c if c > 100 => format!("wget exit {}", c - 100),
        c => format!("curl exit {c}"),
    }
}

pub(crate) fn fill(sample: &mut HostSample, poll: Poll) {
    match poll {
        None => {}
        Some(Ok(Page::Counters(c, errors))) => {
            sample.inference = Some(c);
            sample.parse_errors += errors;
        }
        Some(Ok(Page::Ollama(o))) => sample.ollama = Some(o),
        Some(Err(e)) => sample.inference_error = Some(crate::parse::sanitize::sanitize(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        for u in [
            "http://localhost:8000/metrics",
            "http://LOCALHOST/metrics",
            "http://127.0.0.1:11434/api/ps",
            "http://127.1.2.3/",
            "http://[::1]:8080/metrics",
        ] {
            assert!(on_loopback(u), "{u}");
        }
        for u in [
            "http://10.0.0.5:8000/metrics",
            "http://localhost.example.com/",
            "http://[::2]/",
            "not a url",
            "http://gpu1:8000/",
        ] {
            assert!(!on_loopback(u), "{u}");
        }
    }

    #[test]
    fn an_api_ps_url_is_ollama_from_the_start() {
        let s = Scraper::new(Some("http://h:11434/api/ps".into()), Duration::from_secs(1));
        assert_eq!(s.ollama_base.as_deref(), Some("http://h:11434"));
        let s = Scraper::new(Some("http://h:8000/metrics".into()), Duration::from_secs(1));
        assert_eq!(s.ollama_base, None);
    }

    #[test]
    fn fetch_statuses_in_words() {
        assert_eq!(fetch_words(7), "curl: connection refused");
        assert_eq!(fetch_words(108), "wget: HTTP error status");
        assert_eq!(fetch_words(127), "neither curl nor wget on the host");
        assert_eq!(fetch_words(55), "curl exit 55");
    }
}
