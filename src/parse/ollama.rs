//! Ollama's JSON API: `/api/ps` (the models loaded, their size and how much
//! of it is in VRAM) and `/api/version`.
//!
//! Unknown fields are ignored, missing ones read as empty; at most
//! [`MAX_MODELS`] models are kept and every string is sanitised and cut, so
//! a hostile server decides neither the row count nor what reaches the
//! terminal.

use crate::model::OllamaModel;
use crate::parse::sanitize::sanitize;
use serde::Deserialize;

/// Models kept from one `/api/ps` answer (a server loads a handful).
pub(crate) const MAX_MODELS: usize = 32;
/// Characters kept of a model name, a version or a detail.
const MAX_TEXT: usize = 120;

#[derive(Deserialize)]
struct Ps {
    models: Vec<PsModel>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PsModel {
    name: String,
    model: String,
    size: u64,
    size_vram: Option<u64>,
    details: Details,
    expires_at: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Details {
    parameter_size: String,
    quantization_level: String,
}

/// A foreign string cut to [`MAX_TEXT`] characters and sanitised.
pub(crate) fn clean(s: &str) -> String {
    sanitize(&s.chars().take(MAX_TEXT).collect::<String>())
}

/// The models of an `/api/ps` body, biggest first; an error when the body
/// is not that JSON object (a Prometheus page, an HTML error page).
pub(crate) fn ps(body: &[u8]) -> Result<Vec<OllamaModel>, String> {
    let ps: Ps = serde_json::from_slice(body).map_err(|e| format!("not an Ollama /api/ps answer: {e}"))?;
    let mut models: Vec<OllamaModel> = ps
        .models
        .into_iter()
        .take(MAX_MODELS)
        .map(|m| OllamaModel {
            name: clean(if m.name.is_empty() { &m.model } else { &m.name }),
            size_bytes: m.size,
            vram_bytes: m.size_vram,
            parameter_size: clean(&m.details.parameter_size),
            quantization: clean(&m.details.quantization_level),
            expires_at: m.expires_at.as_deref().map(clean),
        })
        .collect();
    models.sort_by(|a, b| b.size_bytes.cmp(&a.size_bytes).then_with(|| a.name.cmp(&b.name)));
    Ok(models)
}

/// The `version` of an `/api/version` body.
pub(crate) fn version(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct V {
        version: String,
    }
    let v: V = serde_json::from_slice(body).ok()?;
    Some(clean(&v.version)).filter(|s| !s.is_empty())
}

/// True for the plain-text answer of an Ollama server's root (`/`).
pub(crate) fn is_root_banner(body: &[u8]) -> bool {
    body.trim_ascii().starts_with(b"Ollama is running")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS: &str = include_str!("../../tests/fixtures/ollama/ps-gemma3.json");

    #[test]
    fn captured_ps() {
        let m = ps(PS.as_bytes()).unwrap();
        assert_eq!(
            m,
            vec![OllamaModel {
                name: "gemma3:latest".into(),
                size_bytes: 5_964_735_424,
                vram_bytes: Some(5_964_735_424),
                parameter_size: "4.3B".into(),
                quantization: "Q4_K_M".into(),
                expires_at: Some("2025-08-08T00:07:26.817827822+02:00".into()),
            }]
        );
    }

    #[test]
    fn cpu_only_models_have_no_vram_and_the_biggest_comes_first() {
        let body = br#"{"models":[{"name":"small","size":10},{"model":"big","size":99,"size_vram":9,"extra":[1]}]}"#;
        let m = ps(body).unwrap();
        assert_eq!((m[0].name.as_str(), m[0].vram_bytes), ("big", Some(9)));
        assert_eq!((m[1].name.as_str(), m[1].vram_bytes), ("small", None));
        assert_eq!(ps(br#"{"models":[]}"#).unwrap(), vec![]);
    }

    #[test]
    fn hostile_answers_are_bounded_or_refused() {
        let many = format!(
            r#"{{"models":[{}]}}"#,
            vec![r#"{"name":"x\u001b[31m","size":1}"#; 500].join(",")
        );
        let m = ps(many.as_bytes()).unwrap();
        assert_eq!(m.len(), MAX_MODELS);
        assert!(!m[0].name.contains('\u{1b}'), "{:?}", m[0].name);
        let long = format!(r#"{{"models":[{{"name":"{}"}}]}}"#, "n".repeat(10_000));
        assert_eq!(ps(long.as_bytes()).unwrap()[0].name.chars().count(), MAX_TEXT);
        for bad in [
            &b"vllm:num_requests_running 1\n"[..],
            b"",
            b"{}",
            br#"{"models":3}"#,
            b"\xff\xfe",
        ] {
            assert!(ps(bad).is_err(), "{bad:?}");
        }
        assert!(ps(br#"{"models":[{"size":-1}]}"#).is_err());
    }

    #[test]
    fn version_and_banner() {
        assert_eq!(version(br#"{"version":"0.11.4"}"#), Some("0.11.4".into()));
        assert_eq!(version(b"<html>"), None);
        assert_eq!(version(br#"{"version":""}"#), None);
        assert!(is_root_banner(b"Ollama is running"));
        assert!(!is_root_banner(b"# HELP x\n"));
    }
}
