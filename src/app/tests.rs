use super::*;
use crate::store::tests::config;
use crate::tab::Tab;

#[test]
fn kiosk_rotation_skips_tabs_with_nothing_configured() {
    let st = Store::new(&config(""));
    assert_eq!(next_rotation_tab(Tab::Fleet, &st), Tab::Fleet);
    let st = Store::new(&config("[[nats]]\nname = \"m\"\n"));
    assert_eq!(next_rotation_tab(Tab::Fleet, &st), Tab::Nats);
    assert_eq!(next_rotation_tab(Tab::Nats, &st), Tab::Fleet);
    assert_eq!(next_rotation_tab(Tab::Services, &st), Tab::Nats);
}

#[test]
fn chips_breathe_every_two_seconds() {
    let seen: Vec<bool> = (0..10).map(|s| breath_at(s * 1000)).collect();
    assert_eq!(seen, [true, true, false, false, true, true, false, false, true, true]);
    assert!(!breath_at(-1), "a clock before the epoch does not panic");
}
