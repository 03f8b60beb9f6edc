//! The NATS servers in `fleettop snapshot` (docs/snapshot.md).

use super::NatsState;
use crate::model::{Level, Millis};
use serde::Serialize;

impl NatsState {
    pub fn snapshot(&self, now: Millis) -> Vec<NatsSnap> {
        self.servers
            .iter()
            .map(|s| {
                let cur = s.cur.as_ref().filter(|_| s.error.is_none());
                let v = cur.map(|c| &c.varz);
                NatsSnap {
                    name: s.name.clone(),
                    state: self.level(s, now).map_or("unknown", |l| match l {
                        Level::Info => "ok",
                        l => l.as_str(),
                    }),
                    error: if s.absent {
                        Some(format!("not configured here: nothing answers at {}", s.monitor_url))
                    } else {
                        s.error.as_ref().map(|e| e.to_string())
                    },
                    version: v.map(|v| v.version.clone()),
                    uptime_s: v.and_then(|v| v.uptime_s()),
                    cpu_pct: v.map(|v| v.cpu),
                    mem_bytes: v.map(|v| v.mem.max(0) as u64),
                    connections: v.map(|v| v.connections),
                    total_connections: v.map(|v| v.total_connections),
                    slow_consumers: v.map(|v| v.slow_consumers),
                    in_msgs_per_s: s.rates.map(|r| r.in_msgs_per_s),
                    out_msgs_per_s: s.rates.map(|r| r.out_msgs_per_s),
                    in_bytes_per_s: s.rates.map(|r| r.in_bytes_per_s),
                    out_bytes_per_s: s.rates.map(|r| r.out_bytes_per_s),
                    jetstream: cur.and_then(|c| c.jsz.as_ref().ok()).map(|j| JetStreamSnap {
                        memory_bytes: j.memory,
                        storage_bytes: j.storage,
                        reserved_memory_bytes: j.reserved_memory,
                        reserved_storage_bytes: j.reserved_storage,
                        max_memory_bytes: j.config.as_ref().map(|c| c.max_memory),
                        max_storage_bytes: j.config.as_ref().map(|c| c.max_storage),
                        api_total: j.api.total,
                        api_errors: j.api.errors,
                        streams: s
                            .streams()
                            .iter()
                            .map(|st| StreamSnap {
                                account: st.account.to_string(),
                                name: st.stream.name.clone(),
                                messages: st.stream.state.messages,
                                bytes: st.stream.state.bytes,
                                first_seq: st.stream.state.first_seq,
                                last_seq: st.stream.state.last_seq,
                                consumers: st
                                    .stream
                                    .consumer_detail
                                    .iter()
                                    .map(|c| ConsumerSnap {
                                        name: c.name.clone(),
                                        num_pending: c.num_pending,
                                        num_ack_pending: c.num_ack_pending,
                                        num_redelivered: c.num_redelivered,
                                        num_waiting: c.num_waiting,
                                        delivered_stream_seq: c.delivered.stream_seq,
                                        ack_floor_stream_seq: c.ack_floor.stream_seq,
                                        last_active: c.delivered.last_active.clone(),
                                    })
                                    .collect(),
                            })
                            .collect(),
                    }),
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ConsumerSnap {
    pub name: String,
    pub num_pending: u64,
    pub num_ack_pending: u64,
    pub num_redelivered: u64,
    pub num_waiting: u64,
    pub delivered_stream_seq: u64,
    pub ack_floor_stream_seq: u64,
    pub last_active: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StreamSnap {
    pub account: String,
    pub name: String,
    pub messages: u64,
    pub bytes: u64,
    pub first_seq: u64,
    pub last_seq: u64,
    pub consumers: Vec<ConsumerSnap>,
}

#[derive(Debug, Clone, Serialize)]
pub struct JetStreamSnap {
    pub memory_bytes: u64,
    pub storage_bytes: u64,
    pub reserved_memory_bytes: u64,
    pub reserved_storage_bytes: u64,
    pub max_memory_bytes: Option<i64>,
    pub max_storage_bytes: Option<i64>,
    pub api_total: u64,
    pub api_errors: u64,
    pub streams: Vec<StreamSnap>,
}

/// One server in `fleettop snapshot` (docs/snapshot.md).
#[derive(Debug, Clone, Serialize)]
pub struct NatsSnap {
    pub name: String,
    pub state: &'static str,
    pub error: Option<String>,
    pub version: Option<String>,
    pub uptime_s: Option<u64>,
    pub cpu_pct: Option<f64>,
    pub mem_bytes: Option<u64>,
    pub connections: Option<u64>,
    pub total_connections: Option<u64>,
    pub slow_consumers: Option<u64>,
    pub in_msgs_per_s: Option<f64>,
    pub out_msgs_per_s: Option<f64>,
    pub in_bytes_per_s: Option<f64>,
    pub out_bytes_per_s: Option<f64>,
    pub jetstream: Option<JetStreamSnap>,
}
