//! The `fleettop` binary: the CLI's commands over the library.

#![warn(clippy::too_many_lines)]

use clap::Parser;
use fleettop::cli::{Cli, Command, ConfigCommand};
use fleettop::config::{self, Config};
use fleettop::theme::{TermEnv, Theme};
use std::process::ExitCode;

/// `eprintln!` that cannot panic when stderr is a terminal that hung up.
macro_rules! say_err {
    ($($t:tt)*) => {{
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// Exit code for a configuration error (and `check`'s "unknown").
const EXIT_CONFIG: u8 = 3;

fn main() -> ExitCode {
    few_malloc_arenas();
    let cli = Cli::parse();
    fleettop::term::install_panic_hook();
    let result = match std::panic::catch_unwind(|| real_main(cli)) {
        Ok(r) => r,
        Err(payload) => return internal_error(payload.as_ref()),
    };
    match result {
        Ok(code) => code,
        Err(e) if terminal_gone(&e) => {
            // The terminal hung up (an SSH session dropped): nobody is left
            // to tell, and that is a normal way for a monitor to end.
            tracing::info!("the terminal went away: {e}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            fleettop::term::restore();
            say_err!("fleettop: {e:?}");
            ExitCode::from(1)
        }
    }
}

/// glibc gives threads that allocate arenas of their own (up to 8 a core),
/// and each keeps what was freed in it: with 200 SSH hosts the blocking
/// pool's threads made RSS ~10 MiB larger than the heap needs. Two arenas
/// serve one runtime thread and a few blocking ones. Before any thread
/// starts; `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` in the environment win.
fn few_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() && std::env::var_os("GLIBC_TUNABLES").is_none() {
        // SAFETY: sets one allocator tunable; no other thread exists yet.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// A panic that reached main: the terminal back as it was, then one clean
/// line (the hook put the whole text in the log).
fn internal_error(payload: &(dyn std::any::Any + Send)) -> ExitCode {
    fleettop::term::restore();
    say_err!(
        "fleettop: internal error: {} (details in the log)",
        fleettop::sources::panic_words(payload)
    );
    ExitCode::from(101)
}

/// EIO/ENXIO/EPIPE on the terminal: the other end is gone.
fn terminal_gone(e: &color_eyre::Report) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe || matches!(io.raw_os_error(), Some(5 | 6)))
    })
}

fn load_config(cli: &Cli) -> Result<config::Loaded, ExitCode> {
    let origin = config::locate(cli.config.as_deref());
    match config::load(origin) {
        Ok(l) => {
            for w in &l.warnings {
                say_err!("warning: {w}");
                tracing::warn!("{w}");
            }
            Ok(l)
        }
        Err(errors) => {
            for e in &errors {
                say_err!("{e}");
            }
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    // One thread is plenty for a monitor: sources are I/O bound, and the
    // blocking /proc reads run on the blocking pool.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(4)
        .build()
}

fn real_main(cli: Cli) -> color_eyre::Result<ExitCode> {
    match &cli.command {
        Some(Command::Themes) => {
            for (name, text) in fleettop::theme::BUILTIN {
                let t = Theme::parse(text).map_err(|e| color_eyre::eyre::eyre!("{name}: {e}"))?;
                println!("{name:<10} {}", t.description);
            }
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Completions { shell }) => {
            let mut out = Vec::new();
            fleettop::cli::completions(*shell, &mut out);
            print_out(&String::from_utf8_lossy(&out));
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Man) => {
            let mut out = Vec::new();
            fleettop::cli::man(&mut out)?;
            print_out(&String::from_utf8_lossy(&out));
            return Ok(ExitCode::SUCCESS);
        }
        Some(Command::Config {
            command: ConfigCommand::Check,
        }) => {
            let loaded = match load_config(&cli) {
                Ok(l) => l,
                Err(code) => return Ok(code),
            };
            println!("{}: ok", loaded.origin.label());
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    fleettop::logging::init(cli.log_file.as_deref());
    let loaded = match load_config(&cli) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    tracing::info!(config = %loaded.origin.label(), "fleettop {} starting", env!("CARGO_PKG_VERSION"));
    let config = loaded.config;
    match cli.command {
        Some(Command::Snapshot { pretty }) => {
            let out = runtime()?.block_on(fleettop::headless::snapshot(&config, pretty));
            print_out(&format!("{out}\n"));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Check) => {
            let (out, code) = runtime()?.block_on(fleettop::headless::check(&config));
            print_out(&out);
            Ok(ExitCode::from(code as u8))
        }
        Some(Command::Agent) => {
            let code = runtime()?.block_on(fleettop::push_agent::run(&config));
            Ok(ExitCode::from(code))
        }
        _ => tui(&cli, config),
    }
}

fn tui(cli: &Cli, config: Config) -> color_eyre::Result<ExitCode> {
    use fleettop::app::{App, Kiosk};
    use std::time::Duration;

    let env = TermEnv::from_env();
    let depth = env.depth();
    let theme_name = match &cli.theme {
        Some(t) => t.clone(),
        None if config.ui.theme.get_ref() == "default" => env.auto_theme().to_string(),
        None => config.ui.theme.get_ref().clone(),
    };
    let theme = match Theme::load(&theme_name) {
        Ok(t) => t.adapted(depth),
        Err(e) => {
            say_err!("theme {theme_name}: {e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let glyphs = fleettop::theme::Glyphs::new(env.glyph_kind(config.ui.glyphs));
    let rotate = match (cli.kiosk, config.ui.rotate_secs) {
        (_, s) if s > 0 => Some(s),
        (true, _) => Some(15),
        _ => None,
    };
    let mut view = fleettop::ui::View {
        read_only: cli.read_only || config.ui.read_only,
        ..Default::default()
    };
    view.tab = cli.tab.unwrap_or(config.ui.tab);
    let fps = (*config.ui.ticker_fps.get_ref()).clamp(1, 60);
    let mut app = App::new(fleettop::store::Store::new(&config), view, theme, glyphs, depth);
    app.ticker_period = Duration::from_secs(1) / fps;
    app.load_quiet();
    app.kiosk = rotate.map(|s| Kiosk {
        period: Duration::from_secs(s),
        manual_pause: false,
        paused_until: None,
        next_switch: tokio::time::Instant::now() + Duration::from_secs(s),
    });
    let rt = runtime()?;
    let ui = std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let (tx, rx) = tokio::sync::mpsc::channel(256);
            let ctx = app.ctx(tx);
            app.store.outlet = fleettop::sources::spawn_all(&config, &ctx);
            let mut terminal = fleettop::term::enter()?;
            test_panic();
            let r = fleettop::app::run(&mut app, &mut terminal, rx).await;
            fleettop::term::restore();
            // ratatui's Terminal shows the cursor on drop and, if the terminal
            // has hung up, reports that failure with eprintln!, which panics on
            // a dead stderr. restore() above already did the work.
            std::mem::forget(terminal);
            drop(ctx);
            r
        })
    });
    let result = std::panic::catch_unwind(ui);
    fleettop::term::restore();
    rt.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(r) => r?,
        Err(payload) => return Ok(internal_error(payload.as_ref())),
    }
    tracing::info!("fleettop exits");
    Ok(ExitCode::SUCCESS)
}

/// Debug builds only: `FLEETTOP_TEST_PANIC=ui` makes the UI panic once the
/// terminal is in raw mode (for the test that it is restored).
fn test_panic() {
    if cfg!(debug_assertions) && std::env::var_os("FLEETTOP_TEST_PANIC").is_some_and(|v| v == "ui") {
        panic!("test panic in the UI \u{1b}[31m(FLEETTOP_TEST_PANIC=ui)\nsecond line");
    }
}

/// Writes to stdout; a closed pipe (`fleettop snapshot | head`) is not an error.
fn print_out(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes()).and_then(|()| out.flush());
}
