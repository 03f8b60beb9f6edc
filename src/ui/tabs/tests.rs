use super::fleet::FleetSort;
use super::nats::ConnSort;
use super::{moved, of};
use crate::tab::Tab;

#[test]
fn every_tab_is_registered_with_its_title() {
    let titles: Vec<&str> = Tab::ALL.iter().map(|t| of(*t).title()).collect();
    assert_eq!(titles, ["Fleet", "Services", "NATS", "Agents"]);
}

#[test]
fn sort_modes_wrap_and_keep_their_labels() {
    assert_eq!(FleetSort::from_index(0), FleetSort::Config);
    assert_eq!(FleetSort::from_index(FleetSort::ALL.len() + 3), FleetSort::Cpu);
    assert_eq!(ConnSort::from_index(7).label(), "idle");
    assert_eq!(of(Tab::Nats).detail_sorts(), 8);
}

#[test]
fn a_selection_stays_inside_its_list() {
    assert_eq!(moved(3, 10, 5), 4);
    assert_eq!(moved(3, -10, 5), 0);
    assert_eq!(moved(3, 1, 0), 0);
}
