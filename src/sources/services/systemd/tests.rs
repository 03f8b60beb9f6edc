use super::*;
use crate::parse::systemctl::parse_stats;

fn cfg(limit: Option<u32>) -> SystemdService {
    SystemdService {
        host: toml::Spanned::new(0..0, "box".to_string()),
        name: None,
        interval: None,
        journal_errors_per_min: limit,
    }
}

fn failed(unit: &str) -> systemctl::Unit {
    systemctl::Unit {
        unit: unit.into(),
        load: "loaded".into(),
        active: "failed".into(),
        sub: "failed".into(),
        description: "Backup".into(),
    }
}

const SHOW: &str = "Id=quiet.service\nActiveState=active\nSubState=running\nNRestarts=0\n\n\
    Id=web.service\nActiveState=active\nSubState=running\nNRestarts=7\n\n\
    Id=noisy.service\nActiveState=active\nSubState=running\nNRestarts=0\n\n\
    Id=backup.service\nActiveState=failed\nSubState=failed\nNRestarts=2\n";

fn journal(unit: &str, n: usize) -> String {
    format!("{{\"_SYSTEMD_UNIT\":\"{unit}\"}}\n").repeat(n)
}

fn by_name<'a>(rows: &'a [Row], name: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.name == name)
}

#[test]
fn restarts_and_a_flooded_journal_on_the_units_rows() {
    let text = format!(
        "{SHOW}@@journal\n{}{}",
        journal("noisy.service", 60),
        journal("web.service", 3)
    );
    let st = parse_stats(&text);
    let rows = rows(&cfg(None), &[failed("backup.service")], Some(&st));
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["box units", "backup.service", "web.service", "noisy.service"]);
    let web = by_name(&rows, "web.service").unwrap();
    assert_eq!(
        (web.health, web.detail.as_str(), web.rising),
        (
            Health::Ok,
            "active (running), restarts 7, 0.6 errors/min in its journal",
            Some((7, "restarts"))
        )
    );
    let noisy = by_name(&rows, "noisy.service").unwrap();
    assert_eq!(
        (noisy.health, noisy.detail.as_str()),
        (Health::Warn, "active (running), 12 errors/min in its journal")
    );
    assert_eq!(
        noisy.unit_stats,
        Some(UnitStats {
            restarts: Some(0),
            journal_errors_per_min: Some(12.0)
        })
    );
    let backup = by_name(&rows, "backup.service").unwrap();
    assert_eq!(
        (backup.health, backup.detail.as_str()),
        (Health::Error, "failed (failed) Backup, restarts 2")
    );
    assert!(by_name(&rows, "quiet.service").is_none(), "nothing to say: no row");
}

#[test]
fn the_threshold_is_configurable_and_zero_is_off() {
    let st = parse_stats(&format!("{SHOW}@@journal\n{}", journal("noisy.service", 60)));
    let health = |limit| by_name(&rows(&cfg(limit), &[], Some(&st)), "noisy.service").map(|r| r.health);
    assert_eq!(health(Some(12)), Some(Health::Warn), "at the limit");
    assert_eq!(health(Some(13)), None, "under it and never restarted: no row");
    assert_eq!(health(Some(0)), None);
}

#[test]
fn without_stats_only_the_failed_units() {
    let rows = rows(&cfg(None), &[failed("backup.service")], None);
    assert_eq!(rows.len(), 2);
    assert_eq!((rows[1].rising, rows[1].unit_stats), (None, None));
}

#[test]
fn a_first_rise_is_sent_from_the_old_count_first() {
    let st = parse_stats(SHOW);
    let now = rows(&cfg(None), &[], Some(&st));
    let web_key = "systemd:box/web.service".to_string();
    let before: HashMap<String, i64> = [("web.service".to_string(), 0)].into();
    let pre = first_rises(&now, &before, &HashSet::new()).expect("web rose from 0");
    assert_eq!(pre.len(), now.len(), "the whole set, so no row goes away");
    assert_eq!(
        pre.iter().find(|r| r.key == web_key).unwrap().rising,
        Some((0, "restarts"))
    );
    // Already shown, or unknown before (fleettop just started): nothing to add.
    assert!(first_rises(&now, &before, &HashSet::from([web_key])).is_none());
    assert!(first_rises(&now, &HashMap::new(), &HashSet::new()).is_none());
    let same: HashMap<String, i64> = [("web.service".to_string(), 7)].into();
    assert!(first_rises(&now, &same, &HashSet::new()).is_none());
}
