//! The command line; `fleettop man` and `fleettop completions` are made
//! from these definitions.

use crate::tab::Tab;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "fleettop", version, about = "An htop-like monitor for a small fleet of machines, services, NATS and AI daemons", long_about = None)]
pub struct Cli {
    /// Config file (else $FLEETTOP_CONFIG, else ~/.config/fleettop/config.toml, else the embedded default)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log file (default: $XDG_STATE_HOME/fleettop/fleettop.log)
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Start on this tab
    #[arg(long, value_enum)]
    pub tab: Option<Tab>,
    /// Theme name (see `fleettop themes`) or a theme file
    #[arg(long)]
    pub theme: Option<String>,
    /// Rotate the tabs (every ui.rotate_secs, default 15 s)
    #[arg(long)]
    pub kiosk: bool,
    /// Offer no action that changes anything (container restart), as ui.read_only
    #[arg(long)]
    pub read_only: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect one round from every source and print it as JSON
    Snapshot {
        /// Indent the JSON
        #[arg(long)]
        pretty: bool,
    },
    /// One line per problem and a summary; exit 2 if anything is critical, 1 if anything is in error or warns, 0 otherwise, 3 on a config error
    Check,
    /// Headless: publish this host to NATS every interval (push mode)
    Agent,
    /// Work with the configuration
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// List the themes
    Themes,
    /// Print a completion script for a shell
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config and print every error as PATH:LINE:COLUMN: message
    Check,
}

/// Writes `shell`'s completion script for fleettop.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    use clap::CommandFactory;
    clap_complete::generate(shell, &mut Cli::command(), "fleettop", out);
}

/// Sections of the man page that clap has no place for.
const MAN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fBcheck\fR
2 when anything is critical, 1 when anything is in error or warns, 0 when all is well, 3 when the configuration is invalid.
.TP
\fBconfig check\fR
0 when the configuration is valid, 3 when it is not (each error printed as PATH:LINE:COLUMN: message).
.TP
\fBagent\fR
runs until SIGINT or SIGTERM, then 0; 3 when it cannot start (an invalid configuration, no local host in it, NATS unreachable) or its collector fails.
.TP
other commands
0 on success, 3 on a configuration error, 1 on any other failure.
.SH ENVIRONMENT
.TP
\fBFLEETTOP_CONFIG\fR
the config file, when \fB\-\-config\fR is not given.
.SH FILES
.TP
\fI~/.config/fleettop/config.toml\fR
the configuration; without one, fleettop watches the local machine.
.TP
\fI$XDG_STATE_HOME/fleettop/fleettop.log\fR
the log.
.SH "SEE ALSO"
The documents under docs/ in fleettop's source: the snapshot JSON and its schema, the event formats, exit codes.
"#;

/// Writes the man page, fleettop(1).
pub fn man(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap::CommandFactory;
    let man = clap_mangen::Man::new(Cli::command());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    man.render_subcommands_section(out)?;
    out.write_all(MAN_EXTRA.as_bytes())?;
    man.render_version_section(out)
}
