//! The loop itself: `select!` over terminal input, source updates, the
//! housekeeping tick, the ticker's animation tick and the signals; a whole
//! frame when something changed (data at most every `DATA_FRAME`), only the
//! ticker's row for an animation step.

use super::{App, DATA_FRAME};
use crate::model::now_millis;
use crate::term::Screen;
use crate::update::Update;
use crossterm::event::Event;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// When to draw and what.
struct Frames {
    screen: Screen,
    /// When the ticker steps.
    beat: super::beat::Beat,
    last_draw: Instant,
    /// A key or a resize: draw at once, not at the next data frame.
    urgent: bool,
    /// A ticker step while nothing else changed: only its row goes out.
    stepped: bool,
}

impl Frames {
    fn new() -> Self {
        Frames {
            screen: Screen::default(),
            beat: super::beat::Beat::new(),
            // Data alone redraws at most every DATA_FRAME (hundreds of hosts
            // answer at their own moments); a key, a resize or a step at once.
            last_draw: Instant::now() - DATA_FRAME,
            urgent: true,
            stepped: false,
        }
    }

    fn data_due(&self) -> Instant {
        self.last_draw + DATA_FRAME
    }

    /// Draws what is due: the whole frame, or the ticker's row after a step.
    fn draw<B>(&mut self, app: &mut App, terminal: &mut ratatui::Terminal<B>) -> color_eyre::Result<()>
    where
        B: ratatui::backend::Backend,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        if app.dirty && (self.urgent || Instant::now() >= self.data_due()) {
            let now = now_millis();
            let size = terminal.size()?;
            app.size = (size.width, size.height);
            app.view.page_rows = usize::from(size.height.saturating_sub(8));
            self.screen.draw(terminal, &app.painter(now))?;
            app.sync_process_tables();
            app.dirty = false;
            self.urgent = false;
            self.last_draw = Instant::now();
        } else if self.stepped {
            self.screen.step(terminal, &app.painter(now_millis()))?;
        }
        self.stepped = false;
        Ok(())
    }

    /// The ticker's beat.
    fn ticker_step(&mut self, app: &mut App) {
        // Data whose frame is due goes out with this step, whole; until
        // then a step moves only the ticker.
        self.urgent = app.dirty && Instant::now() >= self.data_due();
        self.stepped = !self.urgent;
        app.step_ticker();
    }

    /// A terminal event; `false` when input has ended.
    fn input<B>(
        &mut self,
        ev: Option<std::io::Result<Event>>,
        app: &mut App,
        terminal: &mut ratatui::Terminal<B>,
    ) -> color_eyre::Result<bool>
    where
        B: ratatui::backend::Backend,
        B::Error: std::error::Error + Send + Sync + 'static,
    {
        match ev {
            Some(Ok(Event::Key(k))) => {
                self.urgent = true;
                app.on_key(k, now_millis());
            }
            Some(Ok(Event::Resize(w, h))) => {
                self.urgent = true;
                app.size = (w, h);
                self.screen.autoresize(terminal)?;
                app.dirty = true;
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                tracing::warn!("terminal input ended: {e}");
                return Ok(false);
            }
            None => return Ok(false),
        }
        Ok(true)
    }
}

/// An update and whatever else is queued behind it: one redraw for a burst,
/// the selection kept on its row.
fn apply_burst(app: &mut App, first: Update, updates: &mut mpsc::Receiver<Update>) {
    let now = now_millis();
    let key = app.selected_key(now);
    app.apply(first, now);
    while let Ok(u) = updates.try_recv() {
        app.apply(u, now);
    }
    app.keep_selection(key, now);
}

/// Runs the TUI until quit, a signal, or the terminal going away.
pub async fn run<B>(
    app: &mut App,
    terminal: &mut ratatui::Terminal<B>,
    mut updates: mpsc::Receiver<Update>,
) -> color_eyre::Result<()>
where
    B: ratatui::backend::Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    use tokio::signal::unix::{SignalKind, signal};
    let mut term_sig = signal(SignalKind::terminate())?;
    let mut hup_sig = signal(SignalKind::hangup())?;
    let mut int_sig = signal(SignalKind::interrupt())?;
    let mut input = crate::term::Input::start();
    let mut house = super::beat::Beat::new();
    house.set(Some(Duration::from_secs(1)));
    let mut f = Frames::new();
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    app.sync_kiosk_view();
    loop {
        f.draw(app, terminal)?;
        if app.quit {
            return Ok(());
        }
        f.beat.set(app.ticker_moves().then_some(app.ticker_period));
        let data_due = f.data_due();
        tokio::select! {
            ev = input.next() => if !f.input(ev, app, terminal)? {
                return Ok(());
            },
            Some(u) = updates.recv() => apply_burst(app, u, &mut updates),
            () = house.next() => {
                // A terminal that hung up without a signal (its input may
                // just read EOF): asking its size fails, so quit.
                if terminal.size().is_err() {
                    tracing::info!("the terminal is gone");
                    return Ok(());
                }
                app.housekeeping(now_millis());
            }
            () = f.beat.next() => f.ticker_step(app),
            _ = tokio::time::sleep_until(data_due), if app.dirty && !f.urgent => {}
            _ = term_sig.recv() => { tracing::info!("SIGTERM: quitting"); return Ok(()); }
            _ = hup_sig.recv() => { tracing::info!("SIGHUP: the terminal went away"); return Ok(()); }
            _ = int_sig.recv() => return Ok(()),
        }
    }
}
