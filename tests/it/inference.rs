//! Inference servers for real: a real HTTP server on a loopback port serving
//! changing vLLM, llama.cpp and Ollama answers (captured pages, their
//! counters moved between requests), read through `fleettop snapshot`; a
//! loopback `metrics_url` on an SSH host fetched through the real test
//! sshd; and the host drill-down with 15 minutes of history, rendered.

use crate::common::{self, sshd};
use common::screen::{find, text};
use fleettop::fixture::{NOW, S, host, omarchy, small};
use fleettop::model::{InferenceCounters, Ollama, OllamaModel};
use fleettop::store::{Store, Tab};
use fleettop::theme::{GlyphKind, Glyphs, Theme};
use fleettop::ui::{Detail, View};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Serves `page(path, n)` (n: the how-many-th request of that server) on a
/// random loopback port; returns `http://127.0.0.1:port`.
fn serve(page: impl Fn(&str, usize) -> (u16, String) + Send + Sync + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let n = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for stream in l.incoming() {
            let Ok(mut s) = stream else { return };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut first = String::new();
            let _ = r.read_line(&mut first);
            let path = first.split(' ').nth(1).unwrap_or("/").to_string();
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|k| k > 2) {
                line.clear();
            }
            let (code, body) = page(&path, n.fetch_add(1, Ordering::SeqCst));
            let _ = write!(
                s,
                "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

fn snapshot(config: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, config).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_fleettop"))
        .args(["snapshot", "--config"])
        .arg(&cfg)
        .arg("--log-file")
        .arg(dir.path().join("log"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    common::schema_valid(&v);
    v
}

fn local(url: &str) -> String {
    format!("[[hosts]]\nname = \"i\"\nlocal = true\ngpu = \"off\"\ninterval = \"300ms\"\nmetrics_url = \"{url}\"\n")
}

/// The captured vLLM page with its counters moved by request `n`: 100
/// tokens, 2 aborted requests and one more waiting each time.
fn vllm_page(n: usize) -> String {
    let page = std::fs::read_to_string(format!("{FIXTURES}/metrics/vllm-datadog.txt")).unwrap();
    let tokens = "vllm:generation_tokens_total{model_name=\"facebook/opt-125m\"} 7.0";
    let waiting = "vllm:num_requests_waiting{model_name=\"facebook/opt-125m\"} 0.0";
    let ok = "vllm:request_success_total{finished_reason=\"length\",model_name=\"facebook/opt-125m\"} 1.0";
    for line in [tokens, waiting, ok] {
        assert!(page.contains(line), "{line}");
    }
    page.replace(
        tokens,
        &format!(
            "vllm:generation_tokens_total{{model_name=\"facebook/opt-125m\"}} {}.0",
            7 + 100 * n
        ),
    )
    .replace(
        waiting,
        &format!("vllm:num_requests_waiting{{model_name=\"facebook/opt-125m\"}} {n}.0"),
    )
    .replace(
        ok,
        &format!(
            "{ok}\nvllm:request_success_total{{finished_reason=\"abort\",model_name=\"facebook/opt-125m\"}} {}.0",
            2 * n
        ),
    )
}

#[test]
fn vllm_error_rate_queue_and_history_from_a_changing_page() {
    let base = serve(|_, n| (200, vllm_page(n)));
    let v = snapshot(&local(&format!("{base}/metrics")));
    let h = &v["hosts"][0];
    let inf = &h["inference"];
    assert!(inf["tokens_per_s"].as_f64().unwrap() > 0.0, "{inf}");
    assert!(inf["waiting"].as_f64().unwrap() >= 1.0, "{inf}");
    // Two more aborted requests per request, a few hundred ms apart.
    let epm = inf["errors_per_min"].as_f64().expect("vLLM counts aborted requests");
    assert!(epm > 10.0, "{inf}");
    let hist = &inf["history"];
    assert!(hist["tokens_per_s_peak"].as_f64().unwrap() >= hist["tokens_per_s_avg"].as_f64().unwrap());
    assert!(hist["waiting_peak"].as_f64().unwrap() >= 1.0, "{hist}");
    assert!(hist["failed"].as_f64().unwrap() > 0.0, "{hist}");
    assert_eq!(h["metrics_error"], serde_json::Value::Null);
    assert_eq!(h["ollama"], serde_json::Value::Null);
}

#[test]
fn the_oldest_session_is_as_old_as_its_process() {
    // `sleep` under a name no other process has, 2 s old at least.
    let dir = tempfile::tempdir().unwrap();
    let unique = format!("ses{}", std::process::id());
    let sleep = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v sleep"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::os::unix::fs::symlink(sleep.trim(), dir.path().join(&unique)).unwrap();
    let mut sleeper = Command::new(dir.path().join(&unique)).arg("60").spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let v = snapshot(&format!(
        "[[hosts]]\nname = \"i\"\nlocal = true\ngpu = \"off\"\nsessions = [\"{unique}\", \"no-such-4242\"]\n"
    ));
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let h = &v["hosts"][0];
    assert_eq!(h["sessions"][&unique], 1, "{h}");
    let age = h["session_oldest_s"][&unique].as_u64().expect("an age");
    assert!((1..60).contains(&age), "{age}");
    assert_eq!(h["session_oldest_s"].as_object().unwrap().len(), 1, "none for no-such");
}

#[test]
fn llamacpp_has_tokens_but_no_error_counter() {
    let page = std::fs::read_to_string(format!("{FIXTURES}/metrics/llamacpp-ik_llama-pr695.txt")).unwrap();
    let base = serve(move |_, n| {
        let moved = page.replace(
            "llamacpp:tokens_predicted_total 3469",
            &format!("llamacpp:tokens_predicted_total {}", 3469 + 50 * n),
        );
        (200, moved)
    });
    let v = snapshot(&local(&format!("{base}/metrics")));
    let inf = &v["hosts"][0]["inference"];
    assert!(inf["tokens_per_s"].as_f64().unwrap() > 0.0, "{inf}");
    assert_eq!(
        inf["errors_per_min"],
        serde_json::Value::Null,
        "llama.cpp counts no failures"
    );
    assert_eq!(inf["history"]["errors_per_min_avg"], serde_json::Value::Null);
    assert!(inf["history"]["tokens_per_s_peak"].as_f64().unwrap() > 0.0);
}

/// An Ollama server: `/` answers its banner, `/api/ps` the captured answer
/// (a second model appears from the third request on), `/api/version`.
fn ollama_server() -> String {
    let ps = std::fs::read_to_string(format!("{FIXTURES}/ollama/ps-gemma3.json")).unwrap();
    serve(move |path, n| match path {
        "/" => (200, "Ollama is running".into()),
        "/api/version" => (200, r#"{"version":"0.11.4"}"#.into()),
        "/api/ps" if n >= 2 => {
            let more = r#"{"models":[{"name":"qwen3:0.6b","size":1000000000},"#;
            (200, ps.replacen("{\n  \"models\": [", more, 1))
        }
        "/api/ps" => (200, ps.clone()),
        _ => (404, "404 page not found".into()),
    })
}

#[test]
fn ollama_models_from_api_ps_by_its_path_or_its_banner() {
    for path in ["/api/ps", "/"] {
        let base = ollama_server();
        let v = snapshot(&local(&format!("{base}{path}")));
        let h = &v["hosts"][0];
        let o = &h["ollama"];
        assert_eq!(o["version"], "0.11.4", "{path}: {h}");
        let models = o["models"].as_array().unwrap();
        let gemma = models.iter().find(|m| m["name"] == "gemma3:latest").expect("gemma3");
        assert_eq!(gemma["size_bytes"], 5_964_735_424u64);
        assert_eq!(gemma["vram_bytes"], 5_964_735_424u64);
        assert_eq!(gemma["quantization"], "Q4_K_M");
        if let Some(q) = models.iter().find(|m| m["name"] == "qwen3:0.6b") {
            assert_eq!(q["vram_bytes"], serde_json::Value::Null, "CPU only");
        }
        assert_eq!(h["inference"], serde_json::Value::Null);
        assert_eq!(h["metrics_error"], serde_json::Value::Null);
    }
}

#[test]
fn a_page_that_is_neither_is_an_error_on_the_row() {
    let base = serve(|_, _| (503, "busy".into()));
    let v = snapshot(&local(&format!("{base}/metrics")));
    assert_eq!(v["hosts"][0]["metrics_error"], "metrics: HTTP 503");
    assert_eq!(v["hosts"][0]["state"], "online");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_metrics_url_on_an_ssh_host_is_fetched_over_its_link() {
    if sshd::missing() || !common::require("curl") {
        return;
    }
    let keys = sshd::Keys::new();
    let port = common::free_port();
    // The host's curl: the real one, leaving a mark that it ran there.
    let bin = keys.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mark = keys.path("curl-ran");
    let real = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v curl"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    common::stand_in(
        &bin,
        "curl",
        &format!("echo \"$@\" >> '{}'\nexec {} \"$@\"\n", mark.display(), real.trim()),
    );
    let _sshd = sshd::Sshd::start_with_path(&keys, port, "inference", &bin);
    let kh = keys.path("known_hosts");
    std::fs::write(&kh, keys.known_line(port, "host_key")).unwrap();
    let base = serve(|_, n| (200, vllm_page(n)));
    let refused = format!("http://localhost:{}/metrics", common::free_port());
    let toml = sshd::host_toml("gpu", port, &keys, &kh, &format!("metrics_url = \"{base}/metrics\""))
        + &sshd::host_toml("down", port, &keys, &kh, &format!("metrics_url = \"{refused}\""));
    let mut rx = sshd::spawn(&toml);
    let got = sshd::wait_for(&mut rx, "gpu", |r| {
        r.as_ref()
            .is_ok_and(|s| s.inference.is_some_and(|i| i.failed_total.is_some_and(|f| f > 0.0)))
    })
    .await
    .unwrap();
    let inf = got.inference.unwrap();
    assert!(inf.generation_tokens_total.unwrap() > 7.0, "{inf:?}");
    let ran = std::fs::read_to_string(&mark).expect("curl ran on the host");
    assert!(ran.contains(&format!("{base}/metrics")), "{ran}");
    // The session chips' oldest: the test's sshd matches `sessions = ["sshd"]`.
    assert!(got.session_oldest_s[0].is_some(), "{:?}", got.session_oldest_s);
    let down = sshd::wait_for(&mut rx, "down", |r| {
        r.as_ref().is_ok_and(|s| s.inference_error.is_some())
    })
    .await
    .unwrap();
    assert_eq!(
        down.inference_error.as_deref(),
        Some("metrics over ssh: curl: connection refused")
    );
}

const CONFIG: &str = r#"
[[hosts]]
name = "gpu1"
local = true
[[hosts]]
name = "mini"
ssh = "me@10.0.0.9"
metrics_url = "http://127.0.0.1:11434/api/ps"
"#;

/// 15 minutes of a vLLM server every 10 s: a burst of tokens in the middle,
/// a queue that builds with it, some aborted requests; and an Ollama host.
fn history_store() -> Store {
    let mut st = Store::new(&fleettop::config::parse_str(CONFIG, "inference.toml").unwrap());
    let (mut tokens, mut failed) = (0.0, 0.0);
    for i in 0..=90i64 {
        let at = NOW - (90 - i) * 10 * S;
        let burst = (45 - (i - 45).abs()) as f64;
        tokens += 200.0 + burst * 60.0;
        if i % 30 == 29 {
            failed += 3.0;
        }
        let mut s = omarchy(at, 1 << 30, tokens);
        s.inference = Some(InferenceCounters {
            running: Some(4.0),
            waiting: Some((burst / 5.0).floor()),
            generation_tokens_total: Some(tokens),
            prompt_tokens_total: Some(tokens / 2.0),
            requests_total: Some(f64::from(i as u32) * 10.0),
            failed_total: Some(failed),
        });
        st.apply(host("gpu1", s), at);
    }
    let mut mini = small(NOW, "ollama");
    mini.ollama = Some(Ollama {
        version: Some("0.11.4".into()),
        models: vec![
            OllamaModel {
                name: "gemma3:latest".into(),
                size_bytes: 5_964_735_424,
                vram_bytes: Some(5_964_735_424),
                parameter_size: "4.3B".into(),
                quantization: "Q4_K_M".into(),
                expires_at: Some("2025-08-08T00:07:26.817827822+02:00".into()),
            },
            OllamaModel {
                name: "qwen3:0.6b".into(),
                size_bytes: 1_000_000_000,
                ..OllamaModel::default()
            },
        ],
    });
    st.apply(host("mini", mini), NOW);
    st.tick(NOW);
    st
}

fn drill(st: &Store, name: &str, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let view = View {
        detail: Some(Detail::new(Tab::Fleet, name)),
        ..View::default()
    };
    let theme = Theme::load("console16").unwrap();
    common::screen::draw(st, &view, &theme, &Glyphs::new(GlyphKind::Console), (w, h), NOW)
}

#[test]
fn the_drill_down_draws_15_minutes_of_history() {
    let st = history_store();
    let buf = drill(&st, "gpu1", 100, 30);
    common::screen::assert_console_only(&buf, "gpu1 drill-down");
    insta::assert_snapshot!("host_inference_console_100x30", text(&buf));
    let (_, y) = find(&buf, "tok/s");
    let row = common::screen::row(&buf, y);
    // The burst is at the middle: the peak is 200 + 45·60 per 10 s.
    assert!(row.contains("peak 290"), "{row}");
    assert!(
        row.contains("_░") && row.contains("▒█"),
        "a sparkline from low to high: {row}"
    );
    find(&buf, "9 failed in 15m");
    let buf = drill(&st, "mini", 100, 30);
    common::screen::assert_console_only(&buf, "mini drill-down");
    insta::assert_snapshot!("host_ollama_console_100x30", text(&buf));
    find(&buf, "ollama 0.11.4 ♦ 2 models loaded");
    find(&buf, "CPU only");
    for (w, h) in [(40, 12), (20, 5), (200, 60)] {
        drill(&st, "gpu1", w, h);
        drill(&st, "mini", w, h);
    }
}

#[test]
fn the_tile_says_errors_and_ollama_in_one_line() {
    let st = history_store();
    let theme = Theme::load("console16").unwrap();
    let buf = common::screen::draw(
        &st,
        &View::default(),
        &theme,
        &Glyphs::new(GlyphKind::Console),
        (100, 30),
        NOW,
    );
    find(&buf, "ollama gemma3:latest +1");
    find(&buf, "tok/s  4 run");
}
