//! The scripts and answer parsers of the agent operations over an SSH
//! host's one connection ([`super::reach::ssh`]): a runlog polled like
//! `tail -F`, a heartbeat file's and a log's times with the host's clock
//! skew taken out, a systemd unit with its timer and journal. Each poll runs
//! one fixed script; paths, unit names and positions reach it as lines on
//! its standard input, never as part of a command line.
//!
//! The runlog is polled every second: the script gets the path and the
//! inode and offset held, prints `<inode> <size> <from>` and then the bytes
//! from `from` (at most [`REMOTE_READ`] a poll). Rust decides what
//! happened: the same inode read on from the offset held is an append;
//! another inode is a new file (rotation, or the first poll: then only the
//! last [`MAX_BACKLOG`] bytes, history); the same inode read from elsewhere
//! was truncated. After a rotation the script reads the rest of the old
//! file first when it is still in the same directory (found by its inode,
//! as `logrotate` leaves `runs.jsonl.1`); when it is not (moved elsewhere,
//! compressed, deleted), what was appended to it after the last poll is
//! lost — a local follower keeps the old file open, a poll over SSH cannot.
//! As with `tail -F`, a file truncated and written past the offset held
//! between two polls looks like an append.

use super::agents::{LineSplitter, MAX_BACKLOG, heartbeat_field, timer_shown, unit_shown};
use super::ssh::Links;
use crate::model::Millis;
use crate::update::agents::{AgentUpdate, MAX_OUTPUT};
use std::time::Duration;

/// How long one poll may take, waiting for the host's connection included.
pub(crate) const WITHIN: Duration = Duration::from_secs(10);
/// At most this much of a runlog per poll: a slow link still makes
/// progress within `WITHIN` (the backlog takes a few polls).
pub const REMOTE_READ: u64 = 1 << 20;
/// A heartbeat file larger than this is not read.
pub(crate) const MAX_HEARTBEAT: usize = 1 << 20;

/// Args: path, inode held (0: none), offset held, backlog bytes (on the
/// first poll only), at most this many bytes. Prints `missing`,
/// `unreadable`, or `<inode> <size> <from>` and the bytes from `from`.
const RUNLOG_SCRIPT: &str = r#"IFS= read -r p; IFS= read -r ino; IFS= read -r off; IFS= read -r back; IFS= read -r max
p=$(home_path "$p")
st() { stat -c '%i %s' -- "$1" 2>/dev/null || stat -f '%i %z' -- "$1" 2>/dev/null; }
f=$p
case " $(st "$p")" in
" $ino "*) ;;
*) if [ "$ino" != 0 ]; then
     old=$(find "$(dirname -- "$p")" -maxdepth 1 -inum "$ino" -type f 2>/dev/null | head -n 1)
     if [ -n "$old" ]; then set -- $(st "$old"); [ "${2:-0}" -gt "$off" ] && f=$old; fi
   fi ;;
esac
[ -e "$f" ] || { echo missing; exit 0; }
[ -r "$f" ] || { echo unreadable; exit 0; }
set -- $(st "$f")
[ -n "$2" ] || { echo "no stat"; exit 0; }
i=$1; z=$2
if [ "$i" = "$ino" ] && [ "$z" -ge "$off" ]; then from=$off
elif [ "$back" -gt 0 ] && [ "$z" -gt "$back" ]; then from=$((z - back))
else from=0; fi
n=$((z - from)); [ "$n" -gt "$max" ] && n=$max
echo "$i $z $from"
[ "$n" -gt 0 ] && tail -c +"$((from + 1))" -- "$f" | head -c "$n"
exit 0"#;

/// Words for an answer a script should not have given: its first 80
/// bytes (cut at a character), sanitised.
fn unexpected(answer: &str) -> String {
    let head = &answer[..answer.floor_char_boundary(80)];
    format!("unexpected answer {:?}", crate::parse::sanitize::sanitize(head))
}

/// A runlog on a remote host, as far as it has been read.
#[derive(Debug, Default)]
pub struct RemoteRunlog {
    ino: u64,
    offset: u64,
    /// The host has answered once: what it sent then was the backlog.
    answered: bool,
    /// The first file's size at the first answer: what is read below it
    /// is the backlog, history (it may take a few polls).
    backlog_end: u64,
    pub lines: LineSplitter,
}

impl RemoteRunlog {
    /// The script's arguments after the path.
    pub fn args(&self) -> [String; 4] {
        let back = if self.answered { 0 } else { MAX_BACKLOG };
        // A poll reads no further than the backlog's end while in it, so
        // history and news never come in one answer.
        let max = match self.backlog_end.checked_sub(self.offset) {
            Some(left) if left > 0 => left.min(REMOTE_READ),
            _ => REMOTE_READ,
        };
        [
            self.ino.to_string(),
            self.offset.to_string(),
            back.to_string(),
            max.to_string(),
        ]
    }

    /// The complete lines that appeared in `path` on `host` since the last
    /// poll, and whether they are history.
    pub async fn poll(
        &mut self,
        ssh: &Links,
        host: &str,
        path: &str,
    ) -> Result<(Vec<super::agents::Line>, bool), String> {
        let args = self.args();
        let out = ssh
            .run(
                host,
                RUNLOG_SCRIPT,
                &[path, &args[0], &args[1], &args[2], &args[3]],
                REMOTE_READ as usize + 256,
                WITHIN,
            )
            .await?;
        if out.cut {
            return Err("printed more than it should: cut".into());
        }
        self.apply(&out.text)
    }

    /// The lines of one answer of `RUNLOG_SCRIPT`, and whether they are
    /// history (the backlog found at start).
    pub fn apply(&mut self, answer: &str) -> Result<(Vec<super::agents::Line>, bool), String> {
        let (head, body) = answer.split_once('\n').unwrap_or((answer, ""));
        let first = !self.answered;
        let numbers: Vec<u64> = head.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        let &[ino, size, from] = numbers.as_slice() else {
            if head == "missing" || head == "unreadable" {
                // A runlog that does not exist yet has no backlog.
                self.answered = true;
                return Err(if head == "missing" {
                    "no such file".into()
                } else {
                    "permission denied".into()
                });
            }
            return Err(unexpected(head));
        };
        self.answered = true;
        if ino != self.ino {
            // A new file (rotated, or the first one): from its start, or
            // (at first) the backlog, whose first line is cut.
            self.ino = ino;
            self.lines.restart(from > 0);
            self.backlog_end = 0;
        } else if from != self.offset {
            // Truncated in place (copytruncate): start over.
            self.lines.restart(false);
            self.backlog_end = 0;
        }
        if first {
            self.backlog_end = size;
        }
        let history = from < self.backlog_end;
        // The count from the header, not the text's length: bytes that are
        // not UTF-8 came as replacement characters.
        let n = size.saturating_sub(from).min(REMOTE_READ);
        self.offset = from + n;
        let mut out = Vec::new();
        self.lines.feed(body.as_bytes(), &mut out);
        Ok((out, history))
    }
}

/// Args: heartbeat path (or empty), `1` to print its text, log path (or
/// empty). Prints `now <secs>`, then for the log and the heartbeat a line
/// `none`, `missing`, `unreadable` or `at <mtime secs> <size>`, then the
/// heartbeat's first 1 MiB (and a byte) when asked.
pub(crate) const FILES_SCRIPT: &str = r#"IFS= read -r hb; IFS= read -r text; IFS= read -r log
mt() { stat -c '%Y %s' -- "$1" 2>/dev/null || stat -f '%m %z' -- "$1" 2>/dev/null; }
one() {
  if [ -z "$1" ]; then echo none; return; fi
  f=$(home_path "$1")
  if [ ! -e "$f" ]; then echo missing
  elif [ "$2" = 1 ] && [ ! -r "$f" ]; then echo unreadable
  else echo "at $(mt "$f")"; fi
}
echo "now $(date +%s)"
one "$log" 0
one "$hb" "$text"
if [ -n "$hb" ] && [ "$text" = 1 ]; then head -c 1048577 -- "$(home_path "$hb")" 2>/dev/null; fi
exit 0"#;

/// The time a remote file says, in this machine's clock: now minus its age
/// by the host's clock, so a host whose clock is off does not look stale.
fn unskewed(local_now: Millis, remote_now: Millis, t: Millis) -> Millis {
    local_now.saturating_sub(remote_now.saturating_sub(t))
}

/// One file's line of `FILES_SCRIPT`: its mtime (ms) and size.
fn file_line(line: &str) -> Result<(Millis, u64), String> {
    match line.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["missing"] => Err("no such file".into()),
        ["unreadable"] => Err("permission denied".into()),
        ["at", m, z] => match (m.parse::<i64>(), z.parse::<u64>()) {
            (Ok(m), Ok(z)) => Ok((m.saturating_mul(1000), z)),
            _ => Err(unexpected(line)),
        },
        _ => Err(unexpected(line)),
    }
}

/// A remote file's time in this machine's clock, or why there is none.
pub type FileTime = Result<Millis, String>;

/// Pure: the heartbeat and log times of one answer of `FILES_SCRIPT` at
/// `local_now`, unskewed; `None` for what was not asked.
pub fn files_answer(answer: &str, field: Option<&str>, local_now: Millis) -> (Option<FileTime>, Option<FileTime>) {
    let mut parts = answer.splitn(4, '\n');
    let (now, log, hb, text) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let Some(remote_now) = now.strip_prefix("now ").and_then(|n| n.trim().parse::<i64>().ok()) else {
        let e = Err(unexpected(now));
        return (Some(e.clone()), Some(e));
    };
    let remote_now = remote_now.saturating_mul(1000);
    let at = |t| unskewed(local_now, remote_now, t);
    let log = (log != "none").then(|| file_line(log).map(|(m, _)| at(m)));
    let hb = (hb != "none").then(|| {
        let (mtime, size) = file_line(hb)?;
        let Some(field) = field else { return Ok(at(mtime)) };
        if size > MAX_HEARTBEAT as u64 || text.len() > MAX_HEARTBEAT {
            return Err("larger than 1 MiB".into());
        }
        heartbeat_field(text, field).map(at)
    });
    (hb, log)
}

/// Args: unit, its timer (or empty), the last invocation whose journal was
/// read, the properties, the journal's bound. Prints `@@show <status>` and
/// what `systemctl show` printed, `@@timer <status>` and the timer's, and for
/// a new invocation that has ended `@@journal` and its journal (last: it may
/// hold anything).
pub(crate) const UNIT_SCRIPT: &str = r#"IFS= read -r u; IFS= read -r t; IFS= read -r last; IFS= read -r props; IFS= read -r max
s=$(systemctl show "$u" --timestamp=unix -p "$props" 2>&1); rc=$?
printf '@@show %s\n%s\n' "$rc" "$s"
if [ -n "$t" ]; then
  ts=$(systemctl show "$t" --timestamp=unix -p "$props" 2>/dev/null); trc=$?
  printf '@@timer %s\n%s\n' "$trc" "$ts"
fi
inv=$(printf '%s\n' "$s" | sed -n 's/^InvocationID=//p')
ended=$(printf '%s\n' "$s" | sed -n 's/^ExecMainExitTimestamp=@*\([1-9]\)/\1/p')
if [ "$rc" = 0 ] && [ -n "$inv" ] && [ -n "$ended" ] && [ "$inv" != "$last" ]; then
  if j=$(journalctl -u "$u" "_SYSTEMD_INVOCATION_ID=$inv" -n 200 -o cat --no-pager 2>/dev/null); then
    echo @@journal; printf '%s\n' "$j" | head -c "$max"
  fi
fi
exit 0"#;

/// Whether `unit` may be given to systemctl: a unit name, not an option.
pub(crate) fn valid_unit(unit: &str) -> Result<(), String> {
    let ok = !unit.is_empty()
        && !unit.starts_with('-')
        && unit.chars().all(|c| c.is_ascii_alphanumeric() || "@._:-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "systemd_unit {:?}: only letters, digits and @._:- (not first) are allowed",
            crate::parse::sanitize::sanitize(unit)
        ))
    }
}

/// Pure: the unit update of one answer of `UNIT_SCRIPT`.
pub(crate) fn unit_answer(agent: &str, host: &str, unit: &str, answer: &str) -> AgentUpdate {
    let mut show: Result<String, String> = Err(format!("systemctl on {host}: no answer"));
    let mut timer = None;
    let mut journal = None;
    let mut rest = answer;
    while let Some(after) = rest.strip_prefix("@@") {
        let (head, body) = after.split_once('\n').unwrap_or((after, ""));
        let (name, status) = head.split_once(' ').unwrap_or((head, ""));
        if name == "journal" {
            let cut = &body.as_bytes()[..body.len().min(MAX_OUTPUT)];
            journal = Some(String::from_utf8_lossy(cut).into_owned());
            break;
        }
        let end = body.find("\n@@").map_or(body.len(), |e| e + 1);
        let text = &body[..end];
        rest = &body[end..];
        match (name, status) {
            ("show", "0") => show = Ok(text.to_string()),
            ("show", _) => {
                let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("failed");
                show = Err(format!(
                    "systemctl on {host}: {}",
                    crate::parse::sanitize::sanitize(first)
                ));
            }
            ("timer", "0") => timer = timer_shown(text),
            _ => {}
        }
    }
    AgentUpdate::Unit {
        agent: agent.to_string(),
        unit: unit_shown(unit, show),
        timer,
        journal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::agents::Line;

    fn texts(r: Result<(Vec<Line>, bool), String>) -> (Vec<String>, bool) {
        let (lines, history) = r.unwrap();
        let t = lines
            .into_iter()
            .map(|l| match l {
                Line::Text(t) => t,
                Line::TooLong => "<too long>".into(),
            })
            .collect();
        (t, history)
    }

    #[test]
    fn answers_are_appends_truncations_and_rotations() {
        let mut r = RemoteRunlog::default();
        assert_eq!(
            r.args()[2],
            MAX_BACKLOG.to_string(),
            "the first poll asks for the backlog"
        );
        // The backlog: read from mid-file, its cut first line skipped.
        assert_eq!(
            texts(r.apply("7 100 90\nut\na\nb\npart")),
            (vec!["a".into(), "b".into()], true)
        );
        assert_eq!(
            r.args(),
            ["7".to_string(), "100".into(), "0".into(), REMOTE_READ.to_string()]
        );
        assert_eq!(texts(r.apply("7 104 100\nial\n")), (vec!["partial".into()], false));
        // Truncated: the same file read from 0, the partial line forgotten.
        r.apply("7 110 104\nhalf").unwrap();
        assert_eq!(texts(r.apply("7 2 0\nc\n")), (vec!["c".into()], false));
        // Rotated: a new inode from its start.
        assert_eq!(texts(r.apply("8 2 0\nd\n")), (vec!["d".into()], false));
        assert_eq!(r.args()[..2], ["8".to_string(), "2".into()]);
        assert!(r.apply("missing").unwrap_err().contains("no such file"));
        assert!(r.apply("Welcome to the host!").unwrap_err().contains("unexpected"));
        // A banner of many-byte characters is cut at a character, not in one.
        let banner = "€".repeat(100);
        assert!(r.apply(&banner).unwrap_err().contains("unexpected"));
        assert!(
            files_answer(&banner, None, 0)
                .0
                .unwrap()
                .unwrap_err()
                .contains("unexpected")
        );
    }

    #[test]
    fn a_large_backlog_takes_polls_and_is_all_history() {
        let mut r = RemoteRunlog::default();
        let size = MAX_BACKLOG + 10;
        let mut chunk = "x".repeat(REMOTE_READ as usize - 1);
        chunk.push('\n');
        let (_, history) = texts(r.apply(&format!("3 {size} 10\n{chunk}")));
        assert!(history);
        for _ in 1..MAX_BACKLOG / REMOTE_READ {
            let [_, off, _, max] = r.args();
            assert_eq!(max, REMOTE_READ.to_string());
            let (lines, history) = texts(r.apply(&format!("3 {} {off}\n{chunk}", size + 5)));
            assert_eq!((lines.len(), history), (1, true));
        }
        assert_eq!(r.args()[1], size.to_string(), "the backlog read to its end");
        assert_eq!(
            texts(r.apply(&format!("3 {} {size}\nnew\n", size + 4))),
            (vec!["new".into()], false)
        );
    }

    #[test]
    fn a_runlog_missing_at_start_has_no_backlog() {
        let mut r = RemoteRunlog::default();
        assert!(r.apply("missing").is_err());
        assert_eq!(r.args()[2], "0");
        assert_eq!(texts(r.apply("9 2 0\nx\n")), (vec!["x".into()], false));
    }

    #[test]
    fn the_offset_counts_bytes_not_characters() {
        let mut r = RemoteRunlog::default();
        // 3 bytes that are not UTF-8 arrive as 3 replacement characters.
        r.apply("5 4 0\n\u{fffd}\u{fffd}\u{fffd}\n").unwrap();
        assert_eq!(r.args()[1], "4");
    }

    #[test]
    fn file_times_are_unskewed() {
        // The host's clock is an hour ahead; its heartbeat is 10 s old.
        let local = 1_000_000_000;
        let remote = local / 1000 + 3600;
        let answer = format!(
            "now {remote}\nat {} 5\nat {} 40\n{{\"ts\": {}}}",
            remote - 60,
            remote - 10,
            remote - 10
        );
        let (hb, log) = files_answer(&answer, Some("ts"), local);
        assert_eq!(hb, Some(Ok(local - 10_000)));
        assert_eq!(log, Some(Ok(local - 60_000)));
        let (hb, _) = files_answer(&answer, None, local);
        assert_eq!(hb, Some(Ok(local - 10_000)), "mtime");
        let (hb, log) = files_answer(&format!("now {remote}\nnone\nmissing\n"), None, local);
        assert_eq!(log, None);
        assert_eq!(hb, Some(Err("no such file".into())));
        let big = format!("now {remote}\nnone\nat {remote} 2000000\n{{");
        assert_eq!(
            files_answer(&big, Some("ts"), local).0,
            Some(Err("larger than 1 MiB".into()))
        );
    }

    /// Found by fuzzing: times from the host near the ends of i64
    /// overflowed (a panic in debug builds).
    #[test]
    fn file_times_at_the_ends_of_time_saturate() {
        let far = "now -9223372036854775\nat 9223372036854775 5\nnone\n";
        assert_eq!(files_answer(far, None, 0).1, Some(Ok(i64::MAX)));
        let huge = format!("now {}\nat {} 5\nnone\n", i64::MAX, i64::MIN);
        assert_eq!(files_answer(&huge, None, 0).1, Some(Ok(-i64::MAX)));
    }

    #[test]
    fn unit_names_are_checked() {
        assert!(valid_unit("fleet-scout@1.service").is_ok());
        assert!(valid_unit("dev-disk-by\\x2duuid.device").is_err());
        assert!(valid_unit("a;reboot").is_err());
        assert!(valid_unit("--help").is_err());
        assert!(valid_unit("").is_err());
    }

    #[test]
    fn unit_answers() {
        let answer = "@@show 0\nId=s.service\nLoadState=loaded\nActiveState=failed\nInvocationID=abc\nExecMainExitTimestamp=@100\n\n@@timer 0\nId=s.timer\nLoadState=loaded\nNextElapseUSecRealtime=@200\n\n@@journal\nline one\n@@ not a section\n";
        let AgentUpdate::Unit {
            unit, timer, journal, ..
        } = unit_answer("a", "h", "s.service", answer)
        else {
            panic!()
        };
        let u = unit.unwrap();
        assert_eq!((u.invocation.as_str(), u.active.as_str()), ("abc", "failed"));
        assert_eq!(timer.unwrap().next_at, Some(200_000));
        assert_eq!(journal.as_deref(), Some("line one\n@@ not a section\n"));
        let down = "@@show 1\nSystem has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n";
        let AgentUpdate::Unit { unit, .. } = unit_answer("a", "h", "s.service", down) else {
            panic!()
        };
        assert_eq!(
            unit.unwrap_err(),
            "systemctl on h: System has not been booted with systemd as init system (PID 1). Can't operate."
        );
        let AgentUpdate::Unit { unit, .. } = unit_answer("a", "h", "x.service", "@@show 0\nLoadState=not-found\n")
        else {
            panic!()
        };
        assert_eq!(unit.unwrap_err(), "unit x.service not found");
    }
}
