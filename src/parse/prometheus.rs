//! Prometheus text exposition format 0.0.4 (what vLLM's and llama.cpp's
//! `/metrics` serve), plus the few inference counters fleettop shows.
//!
//! Accepted per line: blank lines; `#` comments, including `# HELP` and
//! `# TYPE` (read past, not interpreted); samples
//! `name[{label="value",…}] value [timestamp_ms]`. Label values may contain the
//! escapes `\\`, `\"` and `\n`; values may be `NaN`, `+Inf`, `-Inf`. A quoted
//! metric name inside the braces (`{"name", label="v"} 1`, the newer UTF-8
//! form) and quoted label names are accepted too. A line that does not parse
//! is counted in `errors` and skipped; the other lines are still used.
//! CRLF line ends are accepted. The last line need not end with a newline, so
//! a page cut inside a number cannot be told from a shorter number.

use super::Parsed;

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Parses a whole exposition page into its samples, in page order.
pub fn parse(text: &str) -> Parsed<Vec<Sample>> {
    let mut out: Parsed<Vec<Sample>> = Parsed::default();
    for (n, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let line = line.trim_start_matches([' ', '\t']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match sample(line) {
            Ok(s) => out.value.push(s),
            Err(why) => out.note_error(|| format!("line {}: {why}", n + 1)),
        }
    }
    out
}

pub use crate::model::InferenceCounters;

/// Gauges: vLLM, then llama.cpp.
const RUNNING: [&str; 2] = ["vllm:num_requests_running", "llamacpp:requests_processing"];
const WAITING: [&str; 2] = ["vllm:num_requests_waiting", "llamacpp:requests_deferred"];
/// Counters as (name with `_total`, name without): the `_total`-less spelling
/// is used only when the `_total` one is absent. (The captured vLLM and
/// llama.cpp pages all use `_total`; the fallback is for exporters that
/// follow the OpenMetrics naming of the counter family.)
const GENERATION: [(&str, &str); 2] = [
    ("vllm:generation_tokens_total", "vllm:generation_tokens"),
    ("llamacpp:tokens_predicted_total", "llamacpp:tokens_predicted"),
];
const PROMPT: [(&str, &str); 2] = [
    ("vllm:prompt_tokens_total", "vllm:prompt_tokens"),
    ("llamacpp:prompt_tokens_total", "llamacpp:prompt_tokens"),
];

/// Picks vLLM's and llama.cpp's request gauges and token counters out of a
/// page. Values that are NaN or infinite are ignored.
pub fn inference(samples: &[Sample]) -> InferenceCounters {
    InferenceCounters {
        running: sum_any(samples, RUNNING.iter().map(|n| (*n, None))),
        waiting: sum_any(samples, WAITING.iter().map(|n| (*n, None))),
        generation_tokens_total: sum_any(samples, GENERATION.iter().map(|(t, b)| (*t, Some(*b)))),
        prompt_tokens_total: sum_any(samples, PROMPT.iter().map(|(t, b)| (*t, Some(*b)))),
        requests_total: sum_any(samples, [FINISHED].into_iter()),
        failed_total: sum_labelled(samples, FINISHED, "finished_reason", &FAILED_REASONS),
    }
}

/// vLLM's finished requests by `finished_reason` (`stop`, `length`,
/// `abort`; newer releases also `error`).
const FINISHED: (&str, Option<&str>) = ("vllm:request_success_total", Some("vllm:request_success"));
const FAILED_REASONS: [&str; 2] = ["abort", "error"];

/// Sum of a counter's samples whose `label` is one of `values`; `Some(0)`
/// when the counter is on the page but none of those label sets is (no
/// request has failed yet), `None` when the counter is absent.
fn sum_labelled(
    samples: &[Sample],
    (name, fallback): (&str, Option<&str>),
    label: &str,
    values: &[&str],
) -> Option<f64> {
    let pick = |n: &str| {
        let mut seen = false;
        let mut total = 0.0;
        for s in samples.iter().filter(|s| s.name == n && s.value.is_finite()) {
            seen = true;
            if s.labels.iter().any(|(k, v)| k == label && values.contains(&v.as_str())) {
                total += s.value;
            }
        }
        seen.then_some(total)
    };
    pick(name).or_else(|| fallback.and_then(pick))
}

/// Per-second increase of a counter between two scrapes; `None` when
/// `dt_secs` is not positive, the counter went down (server restarted) or an
/// input is not finite.
pub fn rate(prev: f64, cur: f64, dt_secs: f64) -> Option<f64> {
    if !(prev.is_finite() && cur.is_finite() && dt_secs.is_finite()) || dt_secs <= 0.0 || cur < prev {
        return None;
    }
    Some((cur - prev) / dt_secs)
}

/// Sum over several metrics, each given as (name, fallback name).
fn sum_any<'a>(samples: &[Sample], names: impl Iterator<Item = (&'a str, Option<&'a str>)>) -> Option<f64> {
    let mut total: Option<f64> = None;
    for (name, fallback) in names {
        let found = sum(samples, name).or_else(|| fallback.and_then(|f| sum(samples, f)));
        if let Some(v) = found {
            total = Some(total.unwrap_or(0.0) + v);
        }
    }
    total
}

fn sum(samples: &[Sample], name: &str) -> Option<f64> {
    samples
        .iter()
        .filter(|s| s.name == name && s.value.is_finite())
        .map(|s| s.value)
        .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
}

/// A cursor over one line. It moves over bytes: every delimiter of the
/// format is ASCII, so every position it stops at is a char boundary.
struct Line<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Line<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.at += usize::from(hit);
        hit
    }

    /// Moves past the bytes that `keep` accepts; returns what it passed.
    /// (A plain index loop: this is the hot path, and it stays fast in
    /// unoptimised test builds.)
    fn skip_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.at;
        let b = self.s.as_bytes();
        let mut i = start;
        while i < b.len() && keep(b[i]) {
            i += 1;
        }
        self.at = i;
        &self.s[start..i]
    }

    /// Skips blanks; tells whether there were any.
    fn blanks(&mut self) -> bool {
        !self.skip_while(|b| b == b' ' || b == b'\t').is_empty()
    }

    /// `[A-Za-z_:][A-Za-z0-9_:]*` for metric names, without `:` for labels.
    fn ident(&mut self, colon: bool) -> Option<&'a str> {
        let first = self.peek()?;
        if !(matches!(first, b'a'..=b'z' | b'A'..=b'Z' | b'_') || (colon && first == b':')) {
            return None;
        }
        Some(self.skip_while(|b| matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') || (colon && b == b':')))
    }

    /// The body of a `"…"` string, the opening quote already eaten.
    fn quoted(&mut self) -> Result<String, &'static str> {
        let mut v = String::new();
        loop {
            v.push_str(self.skip_while(|b| b != b'"' && b != b'\\'));
            match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(v);
                }
                _ => {
                    v.push(match self.s.as_bytes().get(self.at + 1) {
                        Some(b'\\') => '\\',
                        Some(b'"') => '"',
                        Some(b'n') => '\n',
                        _ => return Err("invalid escape in quoted string"),
                    });
                    self.at += 2;
                }
            }
        }
    }

    /// A run of non-blank characters.
    fn token(&mut self) -> &'a str {
        self.skip_while(|b| b != b' ' && b != b'\t')
    }
}

fn sample(line: &str) -> Result<Sample, &'static str> {
    let mut l = Line { s: line, at: 0 };
    let mut name = match l.ident(true) {
        Some(n) => Some(n.to_owned()),
        None if l.peek() == Some(b'{') => None,
        None => return Err("invalid metric name"),
    };
    let mut labels = Vec::new();
    let had_blank = l.blanks();
    if l.eat(b'{') {
        labels_into(&mut l, &mut name, &mut labels)?;
        l.blanks();
    } else if !had_blank {
        return Err("expected a blank or `{` after the metric name");
    }
    let name = name.ok_or("no metric name")?;
    let value = l.token();
    if value.is_empty() {
        return Err("missing value");
    }
    let value = value.parse::<f64>().map_err(|_| "invalid value")?;
    if l.blanks() {
        let ts = l.token();
        if !ts.is_empty() && ts.parse::<i64>().is_err() {
            return Err("invalid timestamp");
        }
        l.blanks();
    }
    if !l.rest().is_empty() {
        return Err("unexpected text after the value");
    }
    Ok(Sample { name, labels, value })
}

/// Reads `label="value", …}` (the `{` already eaten). A bare quoted string
/// in the list is the metric name (UTF-8 form), allowed once and only when
/// the name was not given before the brace.
fn labels_into(
    l: &mut Line<'_>,
    name: &mut Option<String>,
    labels: &mut Vec<(String, String)>,
) -> Result<(), &'static str> {
    loop {
        l.blanks();
        if l.eat(b'}') {
            return Ok(());
        }
        let key = if l.eat(b'"') {
            l.quoted()?
        } else {
            l.ident(false).ok_or("invalid label name")?.to_owned()
        };
        l.blanks();
        if l.eat(b'=') {
            l.blanks();
            if !l.eat(b'"') {
                return Err("label value is not quoted");
            }
            let value = l.quoted()?;
            labels.push((key, value));
        } else if name.is_none() && matches!(l.peek(), Some(b',' | b'}')) {
            *name = Some(key);
        } else {
            return Err("expected `=` after the label name");
        }
        l.blanks();
        if l.eat(b',') {
            continue;
        }
        if l.eat(b'}') {
            return Ok(());
        }
        return Err("expected `,` or `}` in the label set");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VLLM: &str = include_str!("../../tests/fixtures/metrics/vllm-datadog.txt");
    const LLAMACPP: &str = include_str!("../../tests/fixtures/metrics/llamacpp-ik_llama-pr695.txt");

    fn find<'a>(samples: &'a [Sample], name: &str) -> Vec<&'a Sample> {
        samples.iter().filter(|s| s.name == name).collect()
    }

    fn l(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn vllm_page() {
        let p = parse(VLLM);
        assert_eq!(p.errors, 0, "{:?}", p.first_error);
        assert_eq!(p.value.len(), 185);
        let s = &p.value;
        assert_eq!(
            s[0],
            Sample {
                name: "python_gc_objects_collected_total".into(),
                labels: vec![l("generation", "0")],
                value: 7431.0
            }
        );
        assert_eq!(find(s, "process_max_fds")[0].value, 1_048_576.0);
        assert_eq!(find(s, "process_start_time_seconds")[0].value, 1.7181405583e9);
        let info = find(s, "vllm:cache_config_info");
        assert_eq!(info.len(), 1);
        assert_eq!(info[0].labels.len(), 10);
        assert_eq!(info[0].labels[6], l("num_gpu_blocks", "7281"));
        let inf = s
            .iter()
            .find(|x| x.name == "vllm:time_to_first_token_seconds_bucket" && x.labels[0].1 == "+Inf")
            .unwrap();
        assert_eq!(inf.labels, vec![l("le", "+Inf"), l("model_name", "facebook/opt-125m")]);
        assert_eq!(inf.value, 1.0);
        assert_eq!(
            find(s, "vllm:request_queue_time_seconds_sum")[0].value,
            7.358146831393242e-05
        );
        assert_eq!(find(s, "vllm:engine_sleep_state").len(), 3);
        assert_eq!(
            inference(s),
            InferenceCounters {
                running: Some(0.0),
                waiting: Some(0.0),
                generation_tokens_total: Some(7.0),
                prompt_tokens_total: Some(5.0),
                requests_total: Some(1.0),
                failed_total: Some(0.0),
            }
        );
    }

    #[test]
    fn llamacpp_page() {
        let p = parse(LLAMACPP);
        assert_eq!(p.errors, 0, "{:?}", p.first_error);
        let names: Vec<&str> = p.value.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "llamacpp:prompt_tokens_total",
                "llamacpp:prompt_seconds_total",
                "llamacpp:tokens_predicted_total",
                "llamacpp:tokens_predicted_seconds_total",
                "llamacpp:prompt_tokens_seconds",
                "llamacpp:predicted_tokens_seconds",
                "llamacpp:kv_cache_usage_ratio",
                "llamacpp:kv_cache_tokens",
                "llamacpp:requests_processing",
                "llamacpp:requests_deferred",
            ]
        );
        assert!(p.value.iter().all(|s| s.labels.is_empty()));
        assert_eq!(p.value[1].value, 2903.63);
        assert_eq!(p.value[6].value, 0.491063);
        assert_eq!(
            inference(&p.value),
            InferenceCounters {
                running: Some(0.0),
                waiting: Some(0.0),
                generation_tokens_total: Some(3469.0),
                prompt_tokens_total: Some(6886.0),
                ..InferenceCounters::default()
            }
        );
    }

    #[test]
    fn escapes_special_values_and_timestamps() {
        let text = "# HELP x A \\\\ help \"line\"\n\
                    #TYPE not a real type line\n\
                    \n\
                    x{path=\"C:\\\\dir\\\\\",msg=\"say \\\"hi\\\"\\nbye\",empty=\"\"} 1\n\
                    nan_metric NaN\n\
                    pinf{a=\"b\",} +Inf 1700000000000\n\
                    ninf -Inf -5\n\
                    \t  spaced  {  a = \"1\" , b=\"2\"  }   2.5e3  \n\
                    {\"utf8.name\", \"weird label\"=\"ü\"} 3\r\n";
        let p = parse(text);
        assert_eq!(p.errors, 0, "{:?}", p.first_error);
        let s = &p.value;
        assert_eq!(s.len(), 6);
        assert_eq!(
            s[0].labels,
            vec![l("path", "C:\\dir\\"), l("msg", "say \"hi\"\nbye"), l("empty", "")]
        );
        assert!(s[1].value.is_nan());
        assert_eq!((s[2].name.as_str(), s[2].value), ("pinf", f64::INFINITY));
        assert_eq!(s[2].labels, vec![l("a", "b")]);
        assert_eq!(s[3].value, f64::NEG_INFINITY);
        assert_eq!(
            s[4],
            Sample {
                name: "spaced".into(),
                labels: vec![l("a", "1"), l("b", "2")],
                value: 2500.0
            }
        );
        assert_eq!(
            s[5],
            Sample {
                name: "utf8.name".into(),
                labels: vec![l("weird label", "ü")],
                value: 3.0
            }
        );
    }

    #[test]
    fn bad_lines_are_counted_and_the_rest_used() {
        let text = "good 1\n\
                    llamacpp:n_busy_slots_per_decode -nan(ind)\n\
                    no_value\n\
                    no_value_labels{a=\"b\"}\n\
                    bad_escape{a=\"\\t\"} 1\n\
                    unterminated{a=\"b} 1\n\
                    unquoted{a=b} 1\n\
                    1starts_with_digit 1\n\
                    junk_after 1 2 3\n\
                    bad_ts 1 soon\n\
                    twice{\"n\",\"m\"} 1\n\
                    dash-name 1\n\
                    {} 1\n\
                    also_good{x=\"y\"} 2 123\n";
        let p = parse(text);
        assert_eq!(p.errors, 12, "{:?}", p.first_error);
        assert_eq!(p.first_error.as_deref(), Some("line 2: invalid value"));
        let names: Vec<&str> = p.value.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["good", "also_good"]);
    }

    #[test]
    fn sums_over_label_sets_and_ignores_other_series() {
        let text = "vllm:num_requests_running{engine=\"0\",model_name=\"llama\"} 12.0\n\
                    vllm:num_requests_running{engine=\"1\",model_name=\"llama\"} 3.0\n\
                    vllm:num_requests_running{model_name=\"sql-lora\"} NaN\n\
                    vllm:num_requests_waiting{model_name=\"llama\"} 2\n\
                    vllm:generation_tokens_total{model_name=\"a\"} 100\n\
                    vllm:generation_tokens_total{model_name=\"b\"} 50\n\
                    vllm:generation_tokens_created{model_name=\"a\"} 1.7e9\n\
                    vllm:request_prompt_tokens_sum{model_name=\"a\"} 999\n\
                    vllm:prompt_tokens{model_name=\"a\"} 40\n\
                    llamacpp:requests_processing 1\n";
        let p = parse(text);
        assert_eq!(p.errors, 0);
        assert_eq!(
            inference(&p.value),
            InferenceCounters {
                running: Some(16.0),
                waiting: Some(2.0),
                generation_tokens_total: Some(150.0),
                prompt_tokens_total: Some(40.0),
                ..InferenceCounters::default()
            }
        );
        // `_total` wins over the bare spelling when both are present.
        let both = parse("llamacpp:prompt_tokens_total 7\nllamacpp:prompt_tokens 1000\n").value;
        assert_eq!(inference(&both).prompt_tokens_total, Some(7.0));
        assert_eq!(inference(&[]), InferenceCounters::default());
        assert_eq!(inference(&parse("up 1\n").value), InferenceCounters::default());
    }

    #[test]
    fn failed_requests_are_the_aborted_and_errored_ones() {
        let text = "vllm:request_success_total{finished_reason=\"stop\",model_name=\"a\"} 90\n\
                    vllm:request_success_total{finished_reason=\"length\",model_name=\"a\"} 5\n\
                    vllm:request_success_total{finished_reason=\"abort\",model_name=\"a\"} 3\n\
                    vllm:request_success_total{finished_reason=\"abort\",model_name=\"b\"} 1\n\
                    vllm:request_success_total{finished_reason=\"error\",model_name=\"b\"} 2\n\
                    vllm:request_success_total{model_name=\"b\"} NaN\n";
        let c = inference(&parse(text).value);
        assert_eq!((c.requests_total, c.failed_total), (Some(101.0), Some(6.0)));
        // The bare (OpenMetrics) spelling when `_total` is absent.
        let bare = "vllm:request_success{finished_reason=\"abort\"} 4\n";
        let c = inference(&parse(bare).value);
        assert_eq!((c.requests_total, c.failed_total), (Some(4.0), Some(4.0)));
        // llama.cpp has no such counter: unknown, not zero.
        let c = inference(&parse(LLAMACPP).value);
        assert_eq!((c.requests_total, c.failed_total), (None, None));
    }

    #[test]
    fn rates() {
        assert_eq!(rate(100.0, 160.0, 2.0), Some(30.0));
        assert_eq!(rate(5.0, 5.0, 1.0), Some(0.0));
        assert_eq!(rate(100.0, 10.0, 2.0), None, "counter reset");
        assert_eq!(rate(1.0, 2.0, 0.0), None);
        assert_eq!(rate(1.0, 2.0, -1.0), None);
        assert_eq!(rate(f64::NAN, 2.0, 1.0), None);
        assert_eq!(rate(1.0, f64::INFINITY, 1.0), None);
        assert_eq!(rate(1.0, 2.0, f64::NAN), None);
    }

    #[test]
    fn truncated_page_keeps_the_complete_lines() {
        let cut = VLLM.find("vllm:num_requests_waiting{model_name=\"fac").unwrap() + 40;
        let p = parse(&VLLM[..cut]);
        assert_eq!(p.errors, 1);
        assert!(p.first_error.unwrap().contains("unterminated"));
        let c = inference(&p.value);
        assert_eq!(c.running, Some(0.0));
        assert_eq!(c.waiting, None);
        assert_eq!(c.generation_tokens_total, None);
    }

    #[test]
    fn garbage_input() {
        let p = parse("");
        assert_eq!((p.value.len(), p.errors), (0, 0));
        let p = parse("<html><body>502 Bad Gateway</body></html>\n{\"error\": true}\n\u{0}\u{1b}[31m\n");
        assert!(p.value.is_empty());
        assert_eq!(p.errors, 3);
    }

    /// Every byte prefix of both pages: no panic; every sample but the last
    /// one read equals the whole page's sample at that position, and the last
    /// has the right name and labels (its number may be cut short); at most
    /// one bad (cut) line.
    #[test]
    fn every_byte_prefix_of_every_fixture() {
        for (name, text) in [("vllm", VLLM), ("llamacpp", LLAMACPP)] {
            let full = parse(text).value;
            for cut in 0..=text.len() {
                if !text.is_char_boundary(cut) {
                    continue;
                }
                let p = parse(&text[..cut]);
                assert!(p.errors <= 1, "{name}: prefix {cut}: {:?}", p.first_error);
                let n = p.value.len();
                assert!(n <= full.len(), "{name}: prefix {cut}");
                if n > 0 {
                    assert_eq!(p.value[..n - 1], full[..n - 1], "{name}: prefix {cut}");
                    assert_eq!(p.value[n - 1].name, full[n - 1].name, "{name}: prefix {cut}");
                    assert_eq!(p.value[n - 1].labels, full[n - 1].labels, "{name}: prefix {cut}");
                }
            }
        }
    }
}
