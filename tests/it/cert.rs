//! HTTPS certificate expiry against real TLS servers (`openssl s_server`)
//! with certificates made by the `openssl` CLI: a private CA given as
//! `ca_file`, a leaf valid three days (a warning) and one that expired in
//! 2020 (an error: the handshake refuses it).

use crate::common::{self, free_port, named};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CA, a leaf for 127.0.0.1 valid 3 days (`warn.pem`) and one valid only
/// on 2020-01-01 (`old.pem`), both on the key `leaf.key`.
fn make_certs(dir: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=fleettop test CA",
        "-days",
        "30",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend(["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"]);
    openssl(dir, &csr);
    std::fs::write(dir.join("ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "3",
            "-extfile",
            "ext",
            "-out",
            "warn.pem",
        ],
    );
    // `openssl ca` is the one that takes a start date in the past.
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\n\
         default_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n",
    )
    .unwrap();
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "01\n").unwrap();
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200102000000Z",
            "-in",
            "leaf.csr",
            "-out",
            "old.pem",
            "-notext",
            "-extfile",
            "ext",
        ],
    );
}

/// `openssl s_server -www` on a free port, killed when dropped.
struct Server(Child, u16);

impl Server {
    fn start(dir: &Path, cert: &str) -> Server {
        let port = free_port();
        let child = Command::new("openssl")
            .args([
                "s_server",
                "-www",
                "-quiet",
                "-accept",
                &port.to_string(),
                "-cert",
                cert,
                "-key",
                "leaf.key",
            ])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let s = Server(child, port);
        let until = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "s_server did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn not_after(dir: &Path, cert: &str) -> String {
    let o = Command::new("openssl")
        .args(["x509", "-in", cert, "-noout", "-enddate", "-dateopt", "iso_8601"])
        .current_dir(dir)
        .output()
        .unwrap();
    // "notAfter=2026-12-05 04:25:03Z" → RFC 3339.
    let s = String::from_utf8_lossy(&o.stdout);
    s.trim().trim_start_matches("notAfter=").replace(' ', "T")
}

#[tokio::test]
async fn https_checks_read_the_certificate_expiry() {
    if !common::require("openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_certs(d);
    let warn = Server::start(d, "warn.pem");
    let old = Server::start(d, "old.pem");
    let ca = d.join("ca.pem");
    let text = format!(
        "[[services.http]]\nname = \"soon\"\nurl = \"https://127.0.0.1:{}/\"\nca_file = {:?}\n\
         [[services.http]]\nname = \"roomy\"\nurl = \"https://127.0.0.1:{}/\"\nca_file = {:?}\ncert_warn_days = 2\n\
         [[services.http]]\nname = \"expired\"\nurl = \"https://127.0.0.1:{}/\"\nca_file = {:?}\n\
         [[services.http]]\nname = \"no ca\"\nurl = \"https://127.0.0.1:{}/\"\n",
        warn.1, ca, warn.1, ca, old.1, ca, warn.1
    );
    let cfg = fleettop::config::parse_str(&text, "test").unwrap();
    let json = fleettop::headless::snapshot(&cfg, false).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    common::schema_valid(&v);
    let soon = named(&v["services"], "soon");
    assert_eq!(soon["cert_expires_at"], not_after(d, "warn.pem"), "{soon}");
    assert_eq!(soon["state"], "warn", "{soon}");
    let detail = soon["detail"].as_str().unwrap();
    assert!(detail.starts_with("HTTP 200, cert expires in 2d"), "{detail}");
    let roomy = named(&v["services"], "roomy");
    assert_eq!(
        (&roomy["state"], &roomy["detail"]),
        (&"ok".into(), &"HTTP 200, cert 2d".into()),
        "{roomy}"
    );
    let expired = named(&v["services"], "expired");
    assert_eq!(
        (&expired["state"], &expired["detail"]),
        (&"error".into(), &"TLS error: certificate expired".into()),
        "{expired}"
    );
    let no_ca = named(&v["services"], "no ca");
    assert_eq!(
        no_ca["detail"], "TLS error: certificate from an unknown issuer",
        "{no_ca}"
    );
    assert!(no_ca.get("cert_expires_at").is_none(), "{no_ca}");
}

/// The Services tab at 100x30 under console glyphs: an https check whose
/// certificate expires in two days is a warning that says so, beside one
/// with room and one whose certificate has expired.
#[test]
fn certificate_rows_on_the_services_tab() {
    use fleettop::store::{Store, Tab};
    use fleettop::ui::View;
    use fleettop::update::Update;
    use fleettop::update::services::{Health, Kind, Row, ServiceUpdate};
    const NOW: i64 = 1_780_000_000_000;
    const DAY: i64 = 86_400_000;
    let mut st = Store::new(&fleettop::config::Config::default());
    for (name, h, detail, expires) in [
        (
            "billing",
            Health::Warn,
            "HTTP 200, cert expires in 2d",
            Some(NOW + 2 * DAY + 3_600_000),
        ),
        ("api", Health::Ok, "HTTP 200, cert 23d", Some(NOW + 23 * DAY)),
        ("legacy", Health::Error, "TLS error: certificate expired", None),
    ] {
        let mut r = Row::new(format!("http:{name}"), Kind::Http, name, h, detail);
        r.source = format!("https://{name}.example:8443/health");
        r.latency_ms = Some(12.0);
        r.cert_expires_at = expires;
        st.apply(Update::Services(ServiceUpdate::Result(Box::new(r))), NOW);
    }
    let view = View {
        tab: Tab::Services,
        ..View::default()
    };
    let buf = crate::common::screen::console_100x30(&st, &view, NOW, "certificate rows");
    let screen = crate::common::screen::text(&buf);
    assert!(screen.contains("cert expires in 2d"), "{screen}");
    assert!(screen.contains("certificate expired"), "{screen}");
    assert!(screen.lines().next().unwrap().contains("Services 2!"), "{screen}");
    insta::assert_snapshot!("cert_rows_100x30", screen);
}
