//! The terminal backend: buffered stdout, written with crossterm's commands
//! except in three places. The size: crossterm opens `/dev/tty` to ask it
//! (an open, an ioctl and a close), and ratatui asks before every frame;
//! here it is one ioctl on stdout, and crossterm's way only when stdout is
//! not the terminal. The cells: written by [`super::wire`], in fewer bytes.
//! And the cursor: ratatui hides it at every frame; it is hidden once.
use super::BufStdout;
use crossterm::{cursor, queue, terminal};
use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io::{self, Write};

/// Buffered stdout as ratatui's backend, sized by one ioctl.
pub struct Tty {
    out: BufStdout,
    /// The cursor is hidden (as far as this backend has said).
    hidden: bool,
}

impl Tty {
    /// On a terminal whose cursor [`super::enter`] has hidden.
    pub(super) fn new(out: BufStdout) -> Tty {
        Tty { out, hidden: true }
    }
}

/// The terminal's size from stdout, if stdout is a terminal that knows it.
fn stdout_size() -> Option<Size> {
    let ws = rustix::termios::tcgetwinsize(rustix::stdio::stdout()).ok()?;
    (ws.ws_col > 0 && ws.ws_row > 0).then_some(Size::new(ws.ws_col, ws.ws_row))
}

impl Backend for Tty {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        super::wire::encode(&mut self.out, content)
    }
    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        for _ in 0..n {
            self.out.write_all(b"\n")?;
        }
        self.out.flush()
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        if !self.hidden {
            queue!(self.out, cursor::Hide)?;
            self.hidden = true;
        }
        Ok(())
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.hidden = false;
        queue!(self.out, cursor::Show)
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        let (x, y) = cursor::position()?;
        Ok(Position { x, y })
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let Position { x, y } = position.into();
        queue!(self.out, cursor::MoveTo(x, y))
    }
    fn clear(&mut self) -> io::Result<()> {
        self.clear_region(ClearType::All)
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        use terminal::ClearType as C;
        let what = match clear_type {
            ClearType::All => C::All,
            ClearType::AfterCursor => C::FromCursorDown,
            ClearType::BeforeCursor => C::FromCursorUp,
            ClearType::CurrentLine => C::CurrentLine,
            ClearType::UntilNewLine => C::UntilNewLine,
        };
        queue!(self.out, terminal::Clear(what))?;
        self.out.flush()
    }
    fn size(&self) -> io::Result<Size> {
        if let Some(s) = stdout_size() {
            return Ok(s);
        }
        let (width, height) = terminal::size()?;
        Ok(Size { width, height })
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        let w = terminal::window_size()?;
        Ok(WindowSize {
            columns_rows: Size::new(w.columns, w.rows),
            pixels: Size::new(w.width, w.height),
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
