//! Which tab: one type for the command line (`--tab`), the config
//! (`ui.tab`), alerts and the view. What a tab shows and does is in
//! `ui::tabs`.

use clap::ValueEnum;
use serde::Deserialize;

// No doc comments on the variants: clap would print them as help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Tab {
    #[default]
    Fleet,
    Services,
    Nats,
    Agents,
}

impl Tab {
    /// In the order of the tab bar and of the keys 1-4.
    pub const ALL: [Tab; 4] = [Tab::Fleet, Tab::Services, Tab::Nats, Tab::Agents];

    /// The place in `ALL`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The tab after this one (`delta` 1) or before it (-1), wrapping.
    pub fn step(self, delta: isize) -> Tab {
        let n = Self::ALL.len() as isize;
        Self::ALL[(self.index() as isize + delta).rem_euclid(n) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::Tab;
    use clap::ValueEnum;

    #[test]
    fn index_matches_all_and_step_wraps() {
        for (i, t) in Tab::ALL.iter().enumerate() {
            assert_eq!(t.index(), i);
        }
        assert_eq!(Tab::Agents.step(1), Tab::Fleet);
        assert_eq!(Tab::Fleet.step(-1), Tab::Agents);
        assert_eq!(Tab::Services.step(1), Tab::Nats);
    }

    #[test]
    fn spellings_of_config_and_command_line() {
        #[derive(serde::Deserialize)]
        struct Ui {
            tab: Tab,
        }
        for (word, tab) in [
            ("fleet", Tab::Fleet),
            ("services", Tab::Services),
            ("nats", Tab::Nats),
            ("agents", Tab::Agents),
        ] {
            let ui: Ui = toml::from_str(&format!("tab = \"{word}\"")).unwrap();
            assert_eq!(ui.tab, tab);
            assert_eq!(Tab::from_str(word, false), Ok(tab));
        }
    }
}
