//! `depends_on`: the graph of what needs what. Every name given is a
//! configured check or daemon (or `container:NAME`, a discovered container),
//! and no chain comes back to where it started.

use super::{Config, Problem};
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// The prefix that names a discovered container as a cause.
pub(crate) const CONTAINER: &str = "container:";

/// Every dependent with the names it depends on, in config order: checks
/// and daemons by their name, containers as `container:NAME`.
pub(crate) fn edges(c: &Config) -> Vec<(String, &[Spanned<String>])> {
    let sv = &c.services;
    let mut out: Vec<(String, &[Spanned<String>])> = Vec::new();
    out.extend(sv.http.iter().map(|s| (s.name.clone(), &s.depends_on[..])));
    out.extend(sv.tcp.iter().map(|s| (s.name.clone(), &s.depends_on[..])));
    out.extend(sv.freshness.iter().map(|s| (s.name.clone(), &s.depends_on[..])));
    out.extend(sv.process.iter().map(|s| (s.name.clone(), &s.depends_on[..])));
    out.extend(sv.syncthing.iter().map(|s| (s.name.clone(), &s.depends_on[..])));
    for d in &sv.docker {
        out.extend(d.depends_on.iter().map(|(n, on)| (format!("{CONTAINER}{n}"), &on[..])));
    }
    out.extend(c.agents.daemon.iter().map(|d| (d.name.clone(), &d.depends_on[..])));
    out.retain(|(_, on)| !on.is_empty());
    out
}

/// The names a `depends_on` may give: configured checks and daemons.
fn known(c: &Config) -> BTreeSet<&str> {
    let sv = &c.services;
    let mut k: BTreeSet<&str> = BTreeSet::new();
    k.extend(sv.http.iter().map(|s| s.name.as_str()));
    k.extend(sv.tcp.iter().map(|s| s.name.as_str()));
    k.extend(sv.freshness.iter().map(|s| s.name.as_str()));
    k.extend(sv.process.iter().map(|s| s.name.as_str()));
    k.extend(sv.syncthing.iter().map(|s| s.name.as_str()));
    k.extend(sv.systemd.iter().filter_map(|s| s.name.as_deref()));
    k.extend(c.agents.daemon.iter().map(|d| d.name.as_str()));
    k
}

/// Unknown names, a check that needs itself, and cycles.
pub(super) fn validate(c: &Config, out: &mut Vec<Problem>) {
    let known = known(c);
    let edges = edges(c);
    let mut graph: BTreeMap<&str, Vec<&Spanned<String>>> = BTreeMap::new();
    for (who, on) in &edges {
        for n in on.iter() {
            let name = n.get_ref();
            let container = name.strip_prefix(CONTAINER).is_some_and(|c| !c.trim().is_empty());
            if !container && !known.contains(name.as_str()) {
                out.push((n.span(), format!("depends_on: no check or daemon named {name:?}")));
            } else if name == who {
                out.push((n.span(), format!("{who:?} cannot depend on itself")));
            } else {
                graph.entry(who.as_str()).or_default().push(n);
            }
        }
    }
    // Depth-first: a name met again while still on the path is a cycle.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in graph.keys() {
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        while let Some((node, i)) = path.pop() {
            let next = graph.get(node).and_then(|v| v.get(i));
            let Some(n) = next else {
                done.insert(node);
                continue;
            };
            path.push((node, i + 1));
            let name = n.get_ref().as_str();
            if path.iter().any(|(p, _)| *p == name) {
                out.push((
                    n.span(),
                    format!("depends_on makes a cycle: {node:?} -> {name:?} -> ... -> {node:?}"),
                ));
                return;
            }
            if !done.contains(name) {
                path.push((name, 0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_str;

    fn err(text: &str) -> String {
        let e = parse_str(text, "cfg.toml").expect_err("should be rejected");
        format!("{}", e[0])
    }

    #[test]
    fn unknown_names_and_cycles_point_at_the_name() {
        let base = "[[services.tcp]]\nname = \"db\"\naddress = \"127.0.0.1:1\"\n";
        let e = err(&format!(
            "{base}[[services.http]]\nname = \"api\"\nurl = \"http://x/\"\ndepends_on = [\"db\", \"dbb\"]\n"
        ));
        assert!(e.starts_with("cfg.toml:7:21: ") && e.contains("\"dbb\""), "{e}");
        let e = err(&format!(
            "{base}depends_on = [\"api\"]\n[[services.http]]\nname = \"api\"\nurl = \"http://x/\"\ndepends_on = [\"db\"]\n"
        ));
        assert!(e.contains("cycle"), "{e}");
        let e = err(&format!("{base}depends_on = [\"db\"]\n"));
        assert!(e.starts_with("cfg.toml:4:15: ") && e.contains("itself"), "{e}");
        // Three long, through a daemon.
        let e = err(&format!(
            "{base}depends_on = [\"w\"]\n[[agents.daemon]]\nname = \"w\"\ndepends_on = [\"api\"]\n\
             [[services.http]]\nname = \"api\"\nurl = \"http://x/\"\ndepends_on = [\"db\"]\n"
        ));
        assert!(e.contains("cycle"), "{e}");
    }

    #[test]
    fn a_chain_and_containers_are_fine() {
        let c = parse_str(
            "[[services.tcp]]\nname = \"db\"\naddress = \"127.0.0.1:1\"\n\
             [[services.http]]\nname = \"api\"\nurl = \"http://x/\"\ndepends_on = [\"db\", \"container:drain\"]\n\
             [[services.docker]]\nname = \"local\"\ndepends_on = { web = [\"api\"], drain = [\"db\"] }\n\
             [[agents.daemon]]\nname = \"w\"\ndepends_on = [\"api\", \"db\"]\n",
            "cfg.toml",
        )
        .unwrap();
        let e = super::edges(&c);
        let names: Vec<&str> = e.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(names, ["api", "container:drain", "container:web", "w"]);
    }
}
