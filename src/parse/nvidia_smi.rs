//! `nvidia-smi -q -x` XML → GPUs with utilisation, memory, temperature and
//! compute/graphics processes.
//!
//! The document is read with quick-xml's streaming [`Reader`], not serde, so
//! that a truncated or garbled document still yields every `<gpu>` element that
//! was read to its closing tag. Only direct children of the root element named
//! `gpu` count as GPUs, and only the direct `fb_memory_usage`, `utilization`,
//! `temperature` and `processes` children of a `gpu` are read (MIG devices
//! nest their own `fb_memory_usage`, which is not the GPU's).

use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

use super::Parsed;
use super::sanitize::Clean;

pub use crate::model::{Gpu, GpuProcess};

/// Parses `nvidia-smi -q -x` output.
///
/// `value` holds the GPUs read completely, in document order. `index` is the
/// GPU's `minor_number` when that is numeric, else its position among the
/// `<gpu>` elements (0-based). Note that the two can differ: on a machine
/// whose `/dev/nvidiaN` numbering does not follow PCI bus order the first
/// `<gpu>` may have minor number 1.
///
/// `errors` counts what had to be skipped: each `<gpu>` left unfinished by a
/// truncated or malformed document, each `<process_info>` without a numeric
/// pid, and one more when the document breaks (or ends early) outside any
/// `<gpu>`, because GPUs after that point may have been lost. Unavailable
/// readings (`N/A`, `[Not Supported]`, …) are `None`, not errors.
pub fn parse(xml: &str) -> Parsed<Vec<Gpu>> {
    let mut out: Parsed<Vec<Gpu>> = Parsed::default();
    let mut reader = Reader::from_str(xml);
    let mut state = State::default();

    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => state.open(e.name().as_ref()),
            Ok(Event::Empty(e)) => {
                state.open(e.name().as_ref());
                state.close(&mut out);
            }
            Ok(Event::End(_)) => state.close(&mut out),
            Ok(Event::Text(t)) => state.text(&t),
            Ok(Event::CData(t)) => state.text(&t),
            Ok(Event::GeneralRef(r)) => state.entity(&r),
            Ok(Event::Eof) => {
                state.finish_eof(&mut out);
                break;
            }
            Ok(_) => {} // declaration, doctype, comments, processing instructions
            Err(e) => {
                let at = reader.error_position();
                state.abort(&mut out, || format!("malformed XML at byte {at}: {e}"));
                break;
            }
        }
    }
    out
}

/// Element names the parser cares about; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    ProductName,
    MinorNumber,
    Utilization,
    GpuUtil,
    FbMemoryUsage,
    Used,
    Total,
    Temperature,
    GpuTemp,
    Processes,
    ProcessInfo,
    Pid,
    ProcessName,
    UsedMemory,
    Other,
}

fn tag(name: &str) -> Tag {
    match name {
        "product_name" => Tag::ProductName,
        "minor_number" => Tag::MinorNumber,
        "utilization" => Tag::Utilization,
        "gpu_util" => Tag::GpuUtil,
        "fb_memory_usage" => Tag::FbMemoryUsage,
        "used" => Tag::Used,
        "total" => Tag::Total,
        "temperature" => Tag::Temperature,
        "gpu_temp" => Tag::GpuTemp,
        "processes" => Tag::Processes,
        "process_info" => Tag::ProcessInfo,
        "pid" => Tag::Pid,
        "process_name" => Tag::ProcessName,
        "used_memory" => Tag::UsedMemory,
        _ => Tag::Other,
    }
}

/// The leaf values read, keyed by their path below `<gpu>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Minor,
    Util,
    MemUsed,
    MemTotal,
    Temp,
    Pid,
    ProcName,
    ProcMem,
}

fn field(path: &[Tag]) -> Option<Field> {
    use Tag::*;
    Some(match path {
        [ProductName] => Field::Name,
        [MinorNumber] => Field::Minor,
        [Utilization, GpuUtil] => Field::Util,
        [FbMemoryUsage, Used] => Field::MemUsed,
        [FbMemoryUsage, Total] => Field::MemTotal,
        [Temperature, GpuTemp] => Field::Temp,
        [Processes, ProcessInfo, Pid] => Field::Pid,
        [Processes, ProcessInfo, ProcessName] => Field::ProcName,
        [Processes, ProcessInfo, UsedMemory] => Field::ProcMem,
        _ => return None,
    })
}

#[derive(Debug, Default)]
struct ProcDraft {
    pid: Option<String>,
    name: Option<String>,
    mem: Option<String>,
}

#[derive(Debug, Default)]
struct GpuDraft {
    ordinal: usize,
    name: Option<String>,
    minor: Option<String>,
    util: Option<String>,
    mem_used: Option<String>,
    mem_total: Option<String>,
    temp: Option<String>,
    processes: Vec<GpuProcess>,
    proc: Option<ProcDraft>,
}

impl GpuDraft {
    fn finish(self) -> Gpu {
        let ordinal = u32::try_from(self.ordinal).unwrap_or(u32::MAX);
        Gpu {
            index: self
                .minor
                .as_deref()
                .and_then(|m| m.parse::<u32>().ok())
                .unwrap_or(ordinal),
            name: Clean::new(self.name.as_deref().unwrap_or_default()),
            util_pct: self.util.as_deref().and_then(|s| quantity(s, "%")),
            mem_used_bytes: self.mem_used.as_deref().and_then(bytes),
            mem_total_bytes: self.mem_total.as_deref().and_then(bytes),
            temp_c: self.temp.as_deref().and_then(|s| quantity(s, "C")),
            processes: self.processes,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// Number of currently open elements.
    depth: usize,
    /// Whether the root element was opened, and later closed.
    root_opened: bool,
    root_closed: bool,
    /// `<gpu>` elements seen so far (complete or not).
    gpus_seen: usize,
    /// The `<gpu>` being read, with the path of open elements below it.
    gpu: Option<GpuDraft>,
    path: Vec<Tag>,
    /// Text of the leaf element being read, if it is one we want.
    capture: Option<Field>,
    text: String,
}

impl State {
    fn open(&mut self, name: &str) {
        if self.depth == 0 {
            self.root_opened = true;
        }
        self.depth += 1;
        self.capture = None;
        if let Some(gpu) = self.gpu.as_mut() {
            self.path.push(tag(name));
            if self.path == [Tag::Processes, Tag::ProcessInfo] {
                gpu.proc = Some(ProcDraft::default());
            }
            self.capture = field(&self.path);
            self.text.clear();
        } else if self.depth == 2 && name == "gpu" && !self.root_closed {
            self.gpu = Some(GpuDraft {
                ordinal: self.gpus_seen,
                ..GpuDraft::default()
            });
            self.gpus_seen += 1;
            self.path.clear();
        }
    }

    fn close(&mut self, out: &mut Parsed<Vec<Gpu>>) {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 && self.root_opened {
            self.root_closed = true;
        }
        let Some(gpu) = self.gpu.as_mut() else {
            return;
        };
        if self.path.is_empty() {
            // This closes the <gpu> itself.
            if let Some(gpu) = self.gpu.take() {
                out.value.push(gpu.finish());
            }
            return;
        }
        if let Some(f) = self.capture.take() {
            let value = Some(self.text.trim().to_owned());
            match f {
                Field::Name => gpu.name = value,
                Field::Minor => gpu.minor = value,
                Field::Util => gpu.util = value,
                Field::MemUsed => gpu.mem_used = value,
                Field::MemTotal => gpu.mem_total = value,
                Field::Temp => gpu.temp = value,
                Field::Pid | Field::ProcName | Field::ProcMem => {
                    if let Some(p) = gpu.proc.as_mut() {
                        match f {
                            Field::Pid => p.pid = value,
                            Field::ProcName => p.name = value,
                            _ => p.mem = value,
                        }
                    }
                }
            }
        }
        if self.path == [Tag::Processes, Tag::ProcessInfo]
            && let Some(p) = gpu.proc.take()
        {
            match p.pid.as_deref().and_then(|s| s.parse::<u32>().ok()) {
                Some(pid) => gpu.processes.push(GpuProcess {
                    pid,
                    name: Clean::new(p.name.as_deref().unwrap_or_default()),
                    mem_bytes: p.mem.as_deref().and_then(bytes),
                }),
                None => {
                    let ordinal = gpu.ordinal;
                    let pid = p.pid.unwrap_or_default();
                    out.note_error(|| format!("gpu #{ordinal}: process_info without a numeric pid ({pid:?})"));
                }
            }
        }
        self.path.pop();
        self.text.clear();
    }

    fn text(&mut self, s: &str) {
        if self.capture.is_some() {
            self.text.push_str(s);
        }
    }

    fn entity(&mut self, r: &BytesRef<'_>) {
        if self.capture.is_none() {
            return;
        }
        let c = match &**r {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "apos" => Some('\''),
            "quot" => Some('"'),
            _ => r.resolve_char_ref().ok().flatten(),
        };
        match c {
            Some(c) => self.text.push(c),
            None => {
                self.text.push('&');
                self.text.push_str(r);
                self.text.push(';');
            }
        }
    }

    fn finish_eof(&mut self, out: &mut Parsed<Vec<Gpu>>) {
        if !self.root_opened {
            out.note_error(|| "no XML element in the input".to_owned());
        } else if !self.root_closed {
            self.abort(out, || "document ends before its root element is closed".to_owned());
        }
    }

    /// The document cannot be read any further: the `<gpu>` being read is
    /// lost, or — outside any `<gpu>` — an unknown number of later GPUs.
    fn abort(&mut self, out: &mut Parsed<Vec<Gpu>>, why: impl FnOnce() -> String) {
        match self.gpu.take() {
            Some(gpu) => {
                let ordinal = gpu.ordinal;
                out.note_error(|| format!("gpu #{ordinal} incomplete: {}", why()));
            }
            None => out.note_error(why),
        }
    }
}

/// `"45 %"` → 45.0, `"56 C"` → 56.0; the unit may be left out. Anything else
/// (`N/A`, `[Not Supported]`, `Unknown Error`, a wrong unit) → `None`.
fn quantity(s: &str, unit: &str) -> Option<f64> {
    let s = s.trim();
    let number = match s.strip_suffix(unit) {
        Some(n) => n.trim_end(),
        None => s,
    };
    number.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// `"1234 MiB"` → 1234 × 2²⁰ bytes. Accepts B, KiB, MiB, GiB, TiB (and the
/// decimal KB, MB, GB, TB); a bare number is taken as MiB, the unit
/// nvidia-smi uses for every memory figure.
fn bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (s[..i].trim_end(), &s[i..]),
        None => (s, "MiB"),
    };
    let scale: u64 = match unit {
        "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        _ => return None,
    };
    if let Ok(n) = number.parse::<u64>() {
        return n.checked_mul(scale);
    }
    let v = number.parse::<f64>().ok()?;
    let b = (v * scale as f64).round();
    // `u64::MAX as f64` rounds up to 2^64, which itself does not fit.
    (b.is_finite() && b >= 0.0 && b < u64::MAX as f64).then_some(b as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    const TESLA_T4: &str = include_str!("../../tests/fixtures/nvidia-smi/tesla-t4-515.xml");
    const A100_MIG: &str = include_str!("../../tests/fixtures/nvidia-smi/a100-sxm4-mig-535.xml");
    const GTX_1660: &str = include_str!("../../tests/fixtures/nvidia-smi/gtx-1660-ti-418.xml");
    const RTX_3080: &str = include_str!("../../tests/fixtures/nvidia-smi/rtx-3080-536.xml");
    const RTX_4000: &str = include_str!("../../tests/fixtures/nvidia-smi/rtx-4000-sff-ada-595.xml");
    const DUAL_A5000: &str = include_str!("../../tests/fixtures/nvidia-smi/dual-a5000-590.xml");

    const ALL: [(&str, &str); 6] = [
        ("tesla-t4-515", TESLA_T4),
        ("a100-sxm4-mig-535", A100_MIG),
        ("gtx-1660-ti-418", GTX_1660),
        ("rtx-3080-536", RTX_3080),
        ("rtx-4000-sff-ada-595", RTX_4000),
        ("dual-a5000-590", DUAL_A5000),
    ];

    fn proc(pid: u32, name: &str, mib: u64) -> GpuProcess {
        GpuProcess {
            pid,
            name: name.into(),
            mem_bytes: Some(mib * MIB),
        }
    }

    fn clean(xml: &str) -> Vec<Gpu> {
        let p = parse(xml);
        assert_eq!(p.errors, 0, "unexpected error: {:?}", p.first_error);
        assert_eq!(p.first_error, None);
        p.value
    }

    /// A GPU's and a GPU process's names are outside text: a process any
    /// user names cannot reach the terminal as control sequences.
    #[test]
    fn gpu_and_process_names_are_sanitised() {
        let evil = TESLA_T4
            .replace("Tesla T4", "Tesla&#27;]0;owned&#7;T4")
            .replace(">python<", ">py&#27;[2J&#10;thon<");
        let gpus = clean(&evil);
        assert_eq!(gpus[0].name, "TeslaT4");
        assert_eq!(gpus[0].processes[1].name, "py thon");
    }

    #[test]
    fn tesla_t4_driver_515_with_two_processes() {
        let gpus = clean(TESLA_T4);
        assert_eq!(
            gpus,
            vec![Gpu {
                index: 0,
                name: "Tesla T4".into(),
                util_pct: Some(0.0),
                mem_used_bytes: Some(1032 * MIB),
                mem_total_bytes: Some(15360 * MIB),
                temp_c: Some(40.0),
                processes: vec![proc(675, "/usr/lib/xorg/Xorg", 22), proc(5762, "python", 1005)],
            }]
        );
    }

    #[test]
    fn a100_mig_driver_535_ignores_the_mig_devices_memory() {
        let gpus = clean(A100_MIG);
        assert_eq!(gpus.len(), 1);
        let g = &gpus[0];
        assert_eq!(g.index, 1, "minor_number is 1");
        assert_eq!(g.name, "NVIDIA A100-SXM4-80GB");
        assert_eq!(g.util_pct, None, "gpu_util is N/A under MIG");
        // The GPU's own fb_memory_usage, not the first MIG device's 12/19968 MiB.
        assert_eq!(g.mem_used_bytes, Some(50 * MIB));
        assert_eq!(g.mem_total_bytes, Some(81920 * MIB));
        assert_eq!(g.temp_c, Some(27.0));
        assert!(g.processes.is_empty());
    }

    #[test]
    fn gtx_1660_ti_driver_418() {
        let gpus = clean(GTX_1660);
        assert_eq!(
            gpus,
            vec![Gpu {
                index: 0,
                name: "Graphics Device".into(),
                util_pct: Some(0.0),
                mem_used_bytes: Some(0),
                mem_total_bytes: Some(5912 * MIB),
                temp_c: Some(40.0),
                processes: vec![],
            }]
        );
    }

    #[test]
    fn rtx_3080_minor_number_na_falls_back_to_order_and_keeps_long_names() {
        let gpus = clean(RTX_3080);
        assert_eq!(gpus.len(), 1);
        let g = &gpus[0];
        assert_eq!(g.index, 0, "minor_number is N/A");
        assert_eq!(g.name, "NVIDIA GeForce RTX 3080");
        assert_eq!(g.util_pct, Some(0.0));
        assert_eq!(g.mem_used_bytes, Some(1128 * MIB));
        assert_eq!(g.mem_total_bytes, Some(10240 * MIB));
        assert_eq!(g.temp_c, Some(31.0));
        let pids: Vec<u32> = g.processes.iter().map(|p| p.pid).collect();
        assert_eq!(pids, [835, 1481, 2214, 4044, 42416]);
        let mem: Vec<Option<u64>> = g.processes.iter().map(|p| p.mem_bytes).collect();
        let want: Vec<Option<u64>> = [550, 18, 79, 541, 159].iter().map(|m| Some(m * MIB)).collect();
        assert_eq!(mem, want);
        assert_eq!(g.processes[0].name, "/usr/lib/Xorg");
        assert!(
            g.processes[2]
                .name
                .starts_with("/opt/microsoft/msedge/msedge --type=gpu-process")
        );
        assert!(g.processes[2].name.ends_with("--variations-seed-version"));
        assert_eq!(g.processes[2].name.len(), 421);
    }

    #[test]
    fn rtx_4000_ada_driver_595_with_four_processes() {
        let gpus = clean(RTX_4000);
        assert_eq!(
            gpus,
            vec![Gpu {
                index: 0,
                name: "NVIDIA RTX 4000 SFF Ada Generation".into(),
                util_pct: Some(0.0),
                mem_used_bytes: Some(3534 * MIB),
                mem_total_bytes: Some(20475 * MIB),
                temp_c: Some(38.0),
                processes: vec![
                    proc(1842, "cosmic-comp", 410),
                    proc(3190, "/usr/bin/code", 451),
                    proc(4937, "python", 160),
                    proc(34626, "/usr/lib/chromium/chromium", 183),
                ],
            }]
        );
    }

    #[test]
    fn dual_a5000_driver_590_index_from_minor_number() {
        let gpus = clean(DUAL_A5000);
        let llama = "/root/src/llama.cpp/build/bin/llama-server";
        assert_eq!(
            gpus,
            vec![
                Gpu {
                    index: 1,
                    name: "NVIDIA RTX A5000".into(),
                    util_pct: Some(0.0),
                    mem_used_bytes: Some(22437 * MIB),
                    mem_total_bytes: Some(24564 * MIB),
                    temp_c: Some(13.0),
                    processes: vec![proc(100477, llama, 22430)],
                },
                Gpu {
                    index: 0,
                    name: "NVIDIA RTX A5000".into(),
                    util_pct: Some(0.0),
                    mem_used_bytes: Some(17253 * MIB),
                    mem_total_bytes: Some(24564 * MIB),
                    temp_c: Some(15.0),
                    processes: vec![proc(100477, llama, 17246)],
                },
            ]
        );
    }

    #[test]
    fn units_and_unavailable_values() {
        assert_eq!(bytes("1234 MiB"), Some(1234 * MIB));
        assert_eq!(bytes("0 MiB"), Some(0));
        assert_eq!(bytes("2 GiB"), Some(2 << 30));
        assert_eq!(bytes("512 KiB"), Some(512 << 10));
        assert_eq!(bytes("7 B"), Some(7));
        assert_eq!(bytes("1.5 MiB"), Some(3 * MIB / 2));
        assert_eq!(bytes("N/A"), None);
        assert_eq!(bytes("[N/A]"), None);
        assert_eq!(bytes("[Not Supported]"), None);
        assert_eq!(bytes("-5 MiB"), None);
        assert_eq!(bytes("99999999999999999999 MiB"), None);
        assert_eq!(bytes("18446744073709551615 TiB"), None);
        assert_eq!(bytes(""), None);
        assert_eq!(quantity("45 %", "%"), Some(45.0));
        assert_eq!(quantity("56 C", "C"), Some(56.0));
        assert_eq!(quantity("56", "C"), Some(56.0));
        assert_eq!(quantity("56 F", "C"), None);
        assert_eq!(quantity("N/A", "%"), None);
        assert_eq!(quantity("[Not Supported]", "C"), None);
        assert_eq!(quantity("inf %", "%"), None);
        assert_eq!(quantity("NaN C", "C"), None);
    }

    #[test]
    fn escaped_text_and_missing_fields() {
        let xml = "<nvidia_smi_log><gpu id=\"0\"><product_name>A &amp; B &#x41;&lt;</product_name>\
                   <fb_memory_usage><used>N/A</used></fb_memory_usage><temperature><gpu_temp>[Not Supported]</gpu_temp></temperature>\
                   <processes><process_info><pid>12</pid><process_name>a&quot;b</process_name><used_memory>N/A</used_memory></process_info>\
                   <process_info><pid>N/A</pid></process_info></processes></gpu><gpu/></nvidia_smi_log>";
        let p = parse(xml);
        assert_eq!(p.errors, 1, "the pid-less process is skipped");
        assert!(p.first_error.unwrap().contains("pid"));
        assert_eq!(p.value.len(), 2);
        let g = &p.value[0];
        assert_eq!(g.name, "A & B A<");
        assert_eq!(
            (g.util_pct, g.mem_used_bytes, g.mem_total_bytes, g.temp_c),
            (None, None, None, None)
        );
        assert_eq!(
            g.processes,
            vec![GpuProcess {
                pid: 12,
                name: "a\"b".into(),
                mem_bytes: None
            }]
        );
        assert_eq!(
            p.value[1],
            Gpu {
                index: 1,
                ..Gpu::default()
            }
        );
    }

    #[test]
    fn only_direct_children_of_the_root_are_gpus() {
        let xml = "<nvidia_smi_log><gpu><product_name>outer</product_name>\
                   <mig_devices><gpu><product_name>inner</product_name></gpu></mig_devices></gpu></nvidia_smi_log>";
        let gpus = clean(xml);
        assert_eq!(gpus.len(), 1);
        assert_eq!(gpus[0].name, "outer");
    }

    #[test]
    fn truncated_documents_keep_only_complete_gpus() {
        // Cut at chosen points of the two-GPU document and check exact results.
        let first_end = DUAL_A5000.find("</gpu>").unwrap() + "</gpu>".len();
        let second_start = DUAL_A5000[first_end..].find("<gpu ").unwrap() + first_end;
        let second_end = DUAL_A5000.rfind("</gpu>").unwrap() + "</gpu>".len();
        let full = parse(DUAL_A5000).value;
        let cases = [
            (0, 0, 1),
            (200, 0, 1),
            (first_end - 3, 0, 1),
            (first_end, 1, 1),
            (second_start + 40, 1, 1),
            (second_start + 5000, 1, 1),
            (second_end - 1, 1, 1),
            (second_end, 2, 1),
            (DUAL_A5000.len() - 3, 2, 1),
        ];
        for (cut, gpus, errors) in cases {
            let p = parse(&DUAL_A5000[..cut]);
            assert_eq!(p.value.len(), gpus, "cut at {cut}");
            assert_eq!(p.value[..], full[..gpus], "cut at {cut}");
            assert_eq!(p.errors, errors, "cut at {cut}: {:?}", p.first_error);
            assert!(p.first_error.is_some());
        }
        let p = parse(&DUAL_A5000[..second_start + 5000]);
        assert!(p.first_error.unwrap().starts_with("gpu #1 incomplete"));
    }

    #[test]
    fn garbage_and_empty_input() {
        for junk in [
            "",
            "   ",
            "not xml at all",
            "{\"gpu\": 1}",
            "<",
            "<<<>>>",
            "</gpu>",
            "<a><b></a></b>",
            "\u{0}\u{1}<gpu",
        ] {
            let p = parse(junk);
            assert!(p.value.is_empty(), "{junk:?}");
            assert_eq!(p.errors, 1, "{junk:?}");
            assert!(p.first_error.is_some(), "{junk:?}");
        }
    }

    #[test]
    fn mismatched_end_tag_inside_a_gpu_loses_that_gpu_only() {
        let first_end = TESLA_T4.find("<processes>").unwrap();
        let broken = format!("{}</bogus>{}", &TESLA_T4[..first_end], &TESLA_T4[first_end..]);
        let p = parse(&broken);
        assert!(p.value.is_empty());
        assert_eq!(p.errors, 1);
        assert!(p.first_error.unwrap().contains("malformed XML"));
    }

    /// Parsing every prefix is quadratic and quick-xml reads only 8–15 MB/s
    /// in a debug build: cutting the 94 KB fixture at every byte takes
    /// minutes. So fixtures up to `EVERY_BYTE_UP_TO` are cut at every byte;
    /// larger ones at every byte within 100 of their first `</gpu>` (the end
    /// of a GPU with its `<processes>`), plus evenly spaced cuts that add up
    /// to about `BUDGET` bytes parsed per fixture.
    const EVERY_BYTE_UP_TO: usize = 12_000;
    const BUDGET: usize = 15_000_000;

    /// Prefixes of every fixture: no panic, never more GPUs than the whole
    /// document, only GPUs equal to the whole document's, and an error
    /// reported for every prefix that ends before the root element closes.
    #[test]
    fn every_byte_prefix_of_every_fixture() {
        std::thread::scope(|s| {
            for (name, xml) in ALL {
                s.spawn(move || {
                    let full = parse(xml).value;
                    let root_end = xml.rfind("</nvidia_smi_log>").unwrap() + "</nvidia_smi_log>".len();
                    let gpu_end = xml.find("</gpu>").unwrap();
                    let near_gpu_end = gpu_end.saturating_sub(100)..gpu_end + 100;
                    let stride = (xml.len() * xml.len() / 2).div_ceil(BUDGET);
                    let mut tried = 0;
                    for cut in 0..=xml.len() {
                        let wanted = xml.len() <= EVERY_BYTE_UP_TO || cut % stride == 0 || near_gpu_end.contains(&cut);
                        if !wanted || !xml.is_char_boundary(cut) {
                            continue;
                        }
                        tried += 1;
                        let p = parse(&xml[..cut]);
                        if cut < root_end {
                            assert!(p.errors >= 1, "{name}: prefix {cut} reported no error");
                        } else {
                            assert_eq!(p.errors, 0, "{name}: prefix {cut}");
                        }
                        assert!(p.value.len() <= full.len(), "{name}: prefix {cut}");
                        assert_eq!(p.value[..], full[..p.value.len()], "{name}: prefix {cut}");
                    }
                    assert!(tried > 500, "{name}: only {tried} prefixes");
                });
            }
        });
    }
}
