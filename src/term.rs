//! Terminal setup and the promise to restore it: on return, on error, when
//! the UI panics (main catches it), and (through the app loop) on SIGTERM
//! and SIGHUP. A source task's panic does not touch the terminal: its
//! supervisor says it on the source's rows and starts it again.

use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// The terminal is raw and on the alternate screen (so there is something
/// to restore: `snapshot | jq` must get no escape codes on any path).
static ENTERED: AtomicBool = AtomicBool::new(false);

pub type Term = Terminal<CrosstermBackend<BufStdout>>;

/// Stdout behind a buffer so each frame goes out in one write.
pub struct BufStdout(io::BufWriter<Stdout>);

impl Write for BufStdout {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

pub fn enter() -> io::Result<Term> {
    ENTERED.store(true, Ordering::SeqCst);
    terminal::enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(e) = execute!(out, terminal::EnterAlternateScreen, cursor::Hide) {
        restore();
        return Err(e);
    }
    let backend = CrosstermBackend::new(BufStdout(io::BufWriter::with_capacity(64 * 1024, io::stdout())));
    let mut t = Terminal::new(backend)?;
    t.clear()?;
    Ok(t)
}

/// Idempotent, and nothing at all when the terminal was not entered.
pub fn restore() {
    if !ENTERED.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = terminal::disable_raw_mode();
    let _ = execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
}

/// Panic text goes to the log only, in one clean line: it may quote outside
/// data, and the screen belongs to the UI (which, if it is the one that
/// panicked, main restores before saying one line).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
        let thread = std::thread::current().name().unwrap_or("?").to_string();
        tracing::error!(
            "panic in thread {}{at}: {}",
            crate::parse::sanitize::sanitize(&thread),
            crate::sources::panic_words(info.payload())
        );
    }));
}
