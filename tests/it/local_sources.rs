//! The local host's optional sources against real outputs: `nvidia-smi -q -x`
//! (a stand-in program on PATH that prints a real captured document) and a
//! Prometheus page served over real HTTP. Run through `fleettop snapshot`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn snapshot(config: &str, path_dir: Option<&std::path::Path>, dir: &tempfile::TempDir) -> serde_json::Value {
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleettop"));
    cmd.args(["snapshot", "--config"])
        .arg(&cfg)
        .arg("--log-file")
        .arg(dir.path().join("log"));
    if let Some(p) = path_dir {
        let path = format!("{}:{}", p.display(), std::env::var("PATH").unwrap_or_default());
        cmd.env("PATH", path);
    }
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn fake_nvidia_smi(dir: &tempfile::TempDir, document: &str) -> std::path::PathBuf {
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let doc = dir.path().join("nvidia-smi.xml");
    std::fs::write(&doc, document).unwrap();
    let script = bin.join("nvidia-smi");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1 $2\" = \"-q -x\" ] || exit 9\ncat '{}'\n",
            doc.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn gpus_come_from_nvidia_smi_xml() {
    let dir = tempfile::tempdir().unwrap();
    let xml = std::fs::read_to_string(format!("{FIXTURES}/nvidia-smi/tesla-t4-515.xml")).unwrap();
    let bin = fake_nvidia_smi(&dir, &xml);
    let v = snapshot(
        "[[hosts]]\nname = \"g\"\nlocal = true\ngpu = \"auto\"\n",
        Some(&bin),
        &dir,
    );
    let gpu = &v["hosts"][0]["gpus"][0];
    assert_eq!(gpu["name"], "Tesla T4");
    assert_eq!(gpu["util_pct"], 0.0);
    assert_eq!(gpu["mem_used_bytes"], 1032u64 << 20);
    assert_eq!(gpu["mem_total_bytes"], 15360u64 << 20);
    assert_eq!(gpu["temp_c"], 40.0);
    assert_eq!(gpu["processes"][1]["name"], "python");
    assert_eq!(gpu["processes"][1]["pid"], 5762);
}

#[test]
fn a_truncated_nvidia_smi_answer_keeps_the_complete_gpus() {
    let dir = tempfile::tempdir().unwrap();
    let xml = std::fs::read_to_string(format!("{FIXTURES}/nvidia-smi/dual-a5000-590.xml")).unwrap();
    // Cut inside the second <gpu>.
    let second = xml.match_indices("<gpu id=").nth(1).expect("two GPUs").0;
    let bin = fake_nvidia_smi(&dir, &xml[..second + 400]);
    let v = snapshot(
        "[[hosts]]\nname = \"g\"\nlocal = true\ngpu = \"on\"\n",
        Some(&bin),
        &dir,
    );
    let gpus = v["hosts"][0]["gpus"].as_array().unwrap();
    assert_eq!(gpus.len(), 1, "{gpus:?}");
    assert!(gpus[0]["name"].as_str().unwrap().contains("A5000"), "{gpus:?}");
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(log.contains("nvidia-smi output partly unreadable"), "{log}");
}

#[test]
fn gpu_off_or_absent_means_no_gpu_line() {
    let dir = tempfile::tempdir().unwrap();
    let xml = std::fs::read_to_string(format!("{FIXTURES}/nvidia-smi/tesla-t4-515.xml")).unwrap();
    let bin = fake_nvidia_smi(&dir, &xml);
    let v = snapshot(
        "[[hosts]]\nname = \"g\"\nlocal = true\ngpu = \"off\"\n",
        Some(&bin),
        &dir,
    );
    assert_eq!(v["hosts"][0]["gpus"].as_array().unwrap().len(), 0);
}

/// Serves `pages(n)` for the n-th request, on a random loopback port.
fn serve(pages: impl Fn(usize) -> (u16, String) + Send + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for (n, stream) in l.incoming().enumerate() {
            let Ok(mut s) = stream else { return };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|k| k > 2) {
                line.clear();
            }
            let (code, body) = pages(n);
            let _ = write!(
                s,
                "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/metrics")
}

#[test]
fn inference_counters_and_tokens_per_second_from_a_vllm_page() {
    let page = std::fs::read_to_string(format!("{FIXTURES}/metrics/vllm-datadog.txt")).unwrap();
    let line = "vllm:generation_tokens_total{model_name=\"facebook/opt-125m\"} 7.0";
    assert!(page.contains(line));
    let url = serve(move |n| {
        let tokens = format!(
            "vllm:generation_tokens_total{{model_name=\"facebook/opt-125m\"}} {}.0",
            7 + 100 * n
        );
        (
            200,
            page.replace(line, &tokens).replace(
                "vllm:num_requests_waiting{model_name=\"facebook/opt-125m\"} 0.0",
                "vllm:num_requests_waiting{model_name=\"facebook/opt-125m\"} 3.0",
            ),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let v = snapshot(
        &format!("[[hosts]]\nname = \"i\"\nlocal = true\ngpu = \"off\"\nmetrics_url = \"{url}\"\n"),
        None,
        &dir,
    );
    let inf = &v["hosts"][0]["inference"];
    assert_eq!(inf["running"], 0.0);
    assert_eq!(inf["waiting"], 3.0);
    assert!(
        inf["tokens_per_s"].as_f64().expect("a rate from two samples") > 0.0,
        "{inf}"
    );
}

#[test]
fn a_metrics_url_that_answers_html_is_not_a_crash() {
    let url = serve(|_| (200, "<html><body>502 Bad Gateway</body></html>".into()));
    let dir = tempfile::tempdir().unwrap();
    let v = snapshot(
        &format!("[[hosts]]\nname = \"i\"\nlocal = true\ngpu = \"off\"\nmetrics_url = \"{url}\"\n"),
        None,
        &dir,
    );
    let inf = &v["hosts"][0]["inference"];
    assert_eq!(*inf, serde_json::Value::Null, "{inf}");
    assert_eq!(v["hosts"][0]["state"], "online");
    let log = std::fs::read_to_string(dir.path().join("log")).unwrap();
    assert!(log.contains("metrics lines unreadable"), "{log}");
}
