//! The command line of SPEC §2.

use crate::config::TabName;
use clap::{Parser, Subcommand, ValueEnum};
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
    pub tab: Option<TabArg>,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TabArg {
    Fleet,
    Services,
    Nats,
    Agents,
}

impl From<TabArg> for TabName {
    fn from(t: TabArg) -> Self {
        match t {
            TabArg::Fleet => TabName::Fleet,
            TabArg::Services => TabName::Services,
            TabArg::Nats => TabName::Nats,
            TabArg::Agents => TabName::Agents,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect one round from every source and print it as JSON
    Snapshot {
        /// Indent the JSON
        #[arg(long)]
        pretty: bool,
    },
    /// One line per problem and a summary; exit 0 ok, 1 warning, 2 critical, 3 config error
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
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config and print every error as PATH:LINE:COLUMN: message
    Check,
}
