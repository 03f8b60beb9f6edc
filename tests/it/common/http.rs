//! A tiny HTTP/1.1 server on a loopback port: for the HTTP check tests and
//! the demo fleet's healthy and failing endpoints.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A tiny HTTP/1.1 server: /ok 200 "status: ok", /fail 500, /slow never
/// answers in time, /huge streams 100 MB. Counts the bytes /huge sent.
pub async fn server() -> (String, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let sent2 = sent.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else { return };
            let sent = sent2.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                match path.as_str() {
                    "/ok" => {
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\nconnection: close\r\n\r\nstatus: ok")
                            .await;
                    }
                    "/fail" => {
                        let _ = s
                            .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\nboom")
                            .await;
                    }
                    "/slow" => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    "/huge" => {
                        let total: u64 = 100 << 20;
                        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {total}\r\nconnection: close\r\n\r\n");
                        if s.write_all(head.as_bytes()).await.is_err() {
                            return;
                        }
                        let chunk = vec![b'x'; 64 * 1024];
                        let mut n = 0;
                        while n < total {
                            if s.write_all(&chunk).await.is_err() {
                                return;
                            }
                            n += chunk.len() as u64;
                            sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                        }
                    }
                    _ => {
                        let _ = s
                            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                            .await;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), sent)
}
