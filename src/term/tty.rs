//! The terminal backend: crossterm's, except for the size. crossterm opens
//! `/dev/tty` to ask it (an open, an ioctl and a close), and ratatui asks
//! before every frame; here it is one ioctl on stdout, and crossterm's way
//! only when stdout is not the terminal.

use super::BufStdout;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io;

/// crossterm's backend on buffered stdout, sized by one ioctl.
pub struct Tty(pub(super) CrosstermBackend<BufStdout>);

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
        self.0.draw(content)
    }
    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.0.append_lines(n)
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.0.hide_cursor()
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.0.show_cursor()
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.0.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.0.set_cursor_position(position)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.0.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.0.clear_region(clear_type)
    }
    fn size(&self) -> io::Result<Size> {
        match stdout_size() {
            Some(s) => Ok(s),
            None => self.0.size(),
        }
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.0.window_size()
    }
    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.0)
    }
}
