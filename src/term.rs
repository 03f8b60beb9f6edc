//! Terminal setup and the promise to restore it: on return, on error, when
//! the UI panics (main catches it), and (through the app loop) on SIGTERM
//! and SIGHUP. A source task's panic does not touch the terminal: its
//! supervisor says it on the source's rows and starts it again.
//!
//! Start-up asks the terminal nothing (no `ESC [6n` cursor query): a serial
//! console or a pty that never answers must not stall or kill the first frame.
//! [`Screen`] sends frames: whole ones, and animation steps that send only
//! the ticker's row. [`Input`] reads keys and resizes on a thread of its own.

use crate::ui::{self, Painter};
use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::{Buffer, Cell};
use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use unicode_width::UnicodeWidthStr;

/// The terminal is raw and on the alternate screen (so there is something
/// to restore: `snapshot | jq` must get no escape codes on any path).
static ENTERED: AtomicBool = AtomicBool::new(false);

mod tty;
mod wire;

pub type Term = Terminal<tty::Tty>;

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
    // Cleared here, not with `Terminal::clear`, which first asks the
    // terminal where its cursor is and fails when nothing answers.
    let clear = terminal::Clear(terminal::ClearType::All);
    if let Err(e) = execute!(out, terminal::EnterAlternateScreen, cursor::Hide, clear) {
        restore();
        return Err(e);
    }
    let writer = BufStdout(io::BufWriter::with_capacity(64 * 1024, io::stdout()));
    let backend = tty::Tty::new(writer);
    // A full-screen viewport starts at the origin: `Terminal::new` queries
    // only the size (an ioctl), never the cursor.
    Terminal::new(backend)
}

/// What is on the terminal: the last full frame with the animation steps
/// since drawn into it.
#[derive(Debug, Default)]
pub struct Screen {
    shown: Buffer,
    /// Steps went out since the last full frame: the terminal's own copy of
    /// the screen (what ratatui diffs the next frame against) lags behind.
    stepped: bool,
}

impl Screen {
    /// A whole frame.
    pub fn draw<B: Backend>(&mut self, t: &mut Terminal<B>, p: &Painter) -> Result<(), B::Error> {
        if std::mem::take(&mut self.stepped) && t.current_buffer_mut().area == self.shown.area {
            // What the terminal shows becomes what the next frame is diffed
            // against (swap_buffers makes the current buffer the previous).
            copy_cells(t.current_buffer_mut(), &self.shown);
            t.swap_buffers();
        }
        let done = t.draw(|f| ui::render(f, p))?;
        copy_cells(&mut self.shown, done.buffer);
        Ok(())
    }

    /// An animation step: only the ticker's row is rendered, and of it one
    /// run goes out, from the first cell that changed to the last. (A
    /// scrolling row changes almost everywhere; sending the few unchanged
    /// cells between costs fewer bytes than a cursor move around each.)
    pub fn step<B: Backend>(&mut self, t: &mut Terminal<B>, p: &Painter) -> Result<(), B::Error> {
        let Some(row) = ui::ticker::row(self.shown.area) else {
            return Ok(());
        };
        let start = self.shown.index_of(row.x, row.y);
        let span = start..start + usize::from(row.width);
        let before = self.shown.content[span.clone()].to_vec();
        ui::ticker::step(&mut self.shown, p);
        let after = &self.shown.content[span];
        let changed = |i: &usize| before[*i] != after[*i];
        if let (Some(first), Some(last)) = ((0..after.len()).find(changed), (0..after.len()).rfind(changed)) {
            t.backend_mut()
                .draw(run(after, first, last).map(|(i, c)| (row.x + i, row.y, c)))?;
            Backend::flush(t.backend_mut())?;
        }
        self.stepped = true;
        Ok(())
    }

    /// Follows a resize: ratatui clears the screen and redraws it whole.
    pub(crate) fn autoresize<B: Backend>(&mut self, t: &mut Terminal<B>) -> Result<(), B::Error> {
        self.stepped = false;
        t.autoresize()
    }

    /// The last frame as the terminal shows it.
    pub fn shown(&self) -> &Buffer {
        &self.shown
    }
}

/// Makes `dst` equal to `src`, in place: only the cells that differ are
/// written (a frame changes a few; cloning every cell allocated and freed a
/// whole buffer per frame).
fn copy_cells(dst: &mut Buffer, src: &Buffer) {
    if dst.area != src.area {
        dst.clone_from(src);
        return;
    }
    for (d, s) in dst.content.iter_mut().zip(&src.content) {
        if d != s {
            d.clone_from(s);
        }
    }
}

/// The cells of `row` from `first` to `last` (indices in the row), without
/// the columns a wide character covers: writing those would erase it.
fn run(row: &[Cell], first: usize, last: usize) -> impl Iterator<Item = (u16, &Cell)> {
    let mut covered = 0;
    row.iter().enumerate().take(last + 1).filter_map(move |(i, c)| {
        if covered > 0 {
            covered -= 1;
            return None;
        }
        covered = c.symbol().width().saturating_sub(1);
        (i >= first).then(|| (u16::try_from(i).unwrap_or(u16::MAX), c))
    })
}

/// Terminal input (keys, resizes), read by a thread of its own that blocks
/// in crossterm's `read` and hands each event over a channel. The app's loop
/// wakes only when an event is there. (crossterm's `EventStream` tries its
/// reader's lock, held by its own waiting thread, on every poll of the
/// stream: seven `sched_yield` calls each time the loop went round, about
/// 90 a second with the ticker moving.)
pub(crate) struct Input {
    rx: tokio::sync::mpsc::Receiver<io::Result<crossterm::event::Event>>,
}

impl Input {
    /// Starts the reading thread. It ends at the first read error, or at
    /// the first event after the `Input` is dropped.
    pub(crate) fn start() -> Input {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let reader = tx.clone();
        let spawned = std::thread::Builder::new().name("input".into()).spawn(move || {
            loop {
                let ev = crossterm::event::read();
                let failed = ev.is_err();
                if reader.blocking_send(ev).is_err() || failed {
                    return;
                }
            }
        });
        if let Err(e) = spawned {
            let _ = tx.try_send(Err(e));
        }
        Input { rx }
    }

    /// The next event; `None` once the reading thread has ended.
    pub(crate) async fn next(&mut self) -> Option<io::Result<crossterm::event::Event>> {
        self.rx.recv().await
    }
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

#[cfg(test)]
mod tests {
    use super::copy_cells;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};

    #[test]
    fn a_copied_frame_equals_its_source() {
        let area = Rect::new(0, 0, 12, 3);
        let mut src = Buffer::empty(area);
        src.set_string(1, 1, "héllo ✓ 世", Style::new().fg(Color::Red));
        let mut dst = Buffer::empty(area);
        dst.set_string(0, 0, "old text", Style::new().bg(Color::Blue));
        copy_cells(&mut dst, &src);
        assert_eq!(dst, src);
        // A frame of another size is taken whole.
        let mut small = Buffer::empty(Rect::new(0, 0, 3, 1));
        copy_cells(&mut small, &src);
        assert_eq!(small, src);
    }
}
