//! Batteries from `/sys/class/power_supply/*/uevent`.
//!
//! A uevent file is `KEY=VALUE` lines (see the kernel's
//! `Documentation/ABI/testing/sysfs-class-power`). Keys used here:
//! `POWER_SUPPLY_TYPE`, `_SCOPE`, `_PRESENT`, `_STATUS`, `_CAPACITY`,
//! `_ENERGY_NOW`/`_ENERGY_FULL` (µWh), `_CHARGE_NOW`/`_CHARGE_FULL` (µAh).

pub use crate::model::Battery;

/// Reads one supply's uevent; `name` is its directory name (`BAT0`).
///
/// `None` unless the supply is a system battery: `POWER_SUPPLY_TYPE` must be
/// `Battery`, and `POWER_SUPPLY_SCOPE=Device` (a mouse, keyboard, headset or
/// game pad reporting its own battery) or `POWER_SUPPLY_PRESENT=0` (an empty
/// battery bay) rule it out. Older kernels do not write `POWER_SUPPLY_TYPE`
/// into uevent at all (it is only in the separate `type` file); then a supply
/// counts as a battery if it reports a battery-only key: capacity, capacity
/// level, energy, charge or technology.
///
/// `pct` is `POWER_SUPPLY_CAPACITY`, else `ENERGY_NOW / ENERGY_FULL`, else
/// `CHARGE_NOW / CHARGE_FULL`, clamped to 0–100.
pub(crate) fn parse_uevent(name: &str, text: &str) -> Option<Battery> {
    let mut kind = None;
    let mut scope = None;
    let mut present = None;
    let mut status = None;
    let mut capacity = None;
    let mut energy = (None, None);
    let mut charge = (None, None);
    let mut battery_keys = false;
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let Some(key) = key.trim().strip_prefix("POWER_SUPPLY_") else {
            continue;
        };
        let value = value.trim();
        let number = || value.parse::<f64>().ok().filter(|v| v.is_finite());
        match key {
            "TYPE" => kind = Some(value),
            "SCOPE" => scope = Some(value),
            "PRESENT" => present = Some(value),
            "STATUS" => status = Some(value),
            "CAPACITY" => capacity = number(),
            "ENERGY_NOW" => energy.0 = number(),
            "ENERGY_FULL" => energy.1 = number(),
            "CHARGE_NOW" => charge.0 = number(),
            "CHARGE_FULL" => charge.1 = number(),
            _ => {}
        }
        battery_keys |= matches!(
            key,
            "CAPACITY" | "CAPACITY_LEVEL" | "ENERGY_NOW" | "ENERGY_FULL" | "CHARGE_NOW" | "CHARGE_FULL" | "TECHNOLOGY"
        );
    }
    let is_battery = match kind {
        Some(k) => k.eq_ignore_ascii_case("Battery"),
        None => battery_keys,
    };
    if !is_battery || scope.is_some_and(|s| s.eq_ignore_ascii_case("Device")) || present == Some("0") {
        return None;
    }
    let ratio = |(now, full): (Option<f64>, Option<f64>)| match (now, full) {
        (Some(n), Some(f)) if f > 0.0 && n >= 0.0 => Some(n / f * 100.0),
        _ => None,
    };
    let pct = capacity
        .or_else(|| ratio(energy))
        .or_else(|| ratio(charge))
        .map(|p| p.clamp(0.0, 100.0));
    Some(Battery {
        name: name.to_owned(),
        pct,
        status: status.filter(|s| !s.is_empty()).map(str::to_owned),
    })
}

/// The mean charge of the batteries that report one; `None` if none does.
/// (uevent energy figures would allow weighting by size, but `Battery`
/// keeps only the percentage, and two-battery laptops are rare.)
pub(crate) fn combined_pct(batteries: &[Battery]) -> Option<f64> {
    let known: Vec<f64> = batteries.iter().filter_map(|b| b.pct).collect();
    (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ThinkPad battery, as captured in prometheus/procfs
    /// testdata/fixtures.ttar (sys/class/power_supply/BAT0/uevent). Older
    /// kernel: no POWER_SUPPLY_TYPE line.
    const PROCFS_BAT0: &str = "POWER_SUPPLY_NAME=BAT0
POWER_SUPPLY_STATUS=Discharging
POWER_SUPPLY_PRESENT=1
POWER_SUPPLY_TECHNOLOGY=Li-ion
POWER_SUPPLY_CYCLE_COUNT=0
POWER_SUPPLY_VOLTAGE_MIN_DESIGN=10800000
POWER_SUPPLY_VOLTAGE_NOW=11750000
POWER_SUPPLY_POWER_NOW=5064000
POWER_SUPPLY_ENERGY_FULL_DESIGN=47520000
POWER_SUPPLY_ENERGY_FULL=47390000
POWER_SUPPLY_ENERGY_NOW=40730000
POWER_SUPPLY_CAPACITY=85
POWER_SUPPLY_CAPACITY_LEVEL=Normal
POWER_SUPPLY_MODEL_NAME=LNV-45N1
POWER_SUPPLY_MANUFACTURER=LGC
POWER_SUPPLY_SERIAL_NUMBER=38109
";

    /// The same machine's mains adapter (procfs fixtures.ttar,
    /// sys/class/power_supply/AC/uevent).
    const PROCFS_AC: &str = "POWER_SUPPLY_NAME=AC
POWER_SUPPLY_ONLINE=0
";

    /// A Logitech mouse, from the doc comment of lollipopkit/flutter_server_box
    /// lib/data/model/server/battery.dart ("raw data from server").
    const HIDPP_MOUSE: &str = "POWER_SUPPLY_NAME=hidpp_battery_0
POWER_SUPPLY_TYPE=Battery
POWER_SUPPLY_ONLINE=1
POWER_SUPPLY_STATUS=Discharging
POWER_SUPPLY_SCOPE=Device
POWER_SUPPLY_MODEL_NAME=MX Anywhere 3
POWER_SUPPLY_MANUFACTURER=Logitech
POWER_SUPPLY_SERIAL_NUMBER=0f-fc-43-f8
POWER_SUPPLY_CAPACITY=35
";

    /// An Android phone's `battery` supply (first block of the capture in
    /// lollipopkit/flutter_server_box test/battery_test.dart, unchanged).
    const ANDROID_BATTERY: &str = "POWER_SUPPLY_NAME=battery
POWER_SUPPLY_INPUT_SUSPEND=0
POWER_SUPPLY_BATTERY_INPUT_SUSPEND=0
POWER_SUPPLY_STATUS=Discharging
POWER_SUPPLY_HEALTH=Good
POWER_SUPPLY_PRESENT=1
POWER_SUPPLY_CHARGE_TYPE=N/A
POWER_SUPPLY_CAPACITY=73
POWER_SUPPLY_CHARGER_TEMP_MAX=800
POWER_SUPPLY_INPUT_CURRENT_LIMITED=0
POWER_SUPPLY_VOLTAGE_NOW=4002675
POWER_SUPPLY_VOLTAGE_MAX=4480000
POWER_SUPPLY_VOLTAGE_QNOVO=-22
POWER_SUPPLY_CURRENT_NOW=157714
POWER_SUPPLY_CURRENT_QNOVO=-22
POWER_SUPPLY_CONSTANT_CHARGE_CURRENT_MAX=6000000
POWER_SUPPLY_CONSTANT_CHARGE_CURRENT=4600000
POWER_SUPPLY_CHARGE_TERM_CURRENT=-220
POWER_SUPPLY_TEMP=235
POWER_SUPPLY_TECHNOLOGY=Li-poly
POWER_SUPPLY_STEP_CHARGING_ENABLED=0
POWER_SUPPLY_SW_JEITA_ENABLED=1
POWER_SUPPLY_CHARGE_DONE=0
POWER_SUPPLY_PARALLEL_DISABLE=0
POWER_SUPPLY_SET_SHIP_MODE=0
POWER_SUPPLY_DIE_HEALTH=Unknown
POWER_SUPPLY_DC_THERMAL_LEVELS=0
POWER_SUPPLY_RERUN_AICL=0
POWER_SUPPLY_DP_DM=0
POWER_SUPPLY_CHARGE_CONTROL_LIMIT_MAX=16
POWER_SUPPLY_CHARGE_CONTROL_LIMIT=0
POWER_SUPPLY_CHARGE_COUNTER=2033341
POWER_SUPPLY_CYCLE_COUNT=1
POWER_SUPPLY_RECHARGE_SOC=99
POWER_SUPPLY_RECHARGE_VBAT=-22
POWER_SUPPLY_NIGHT_CHARGING=0
POWER_SUPPLY_CHARGE_FULL=3022000
POWER_SUPPLY_FORCE_RECHARGE=0
POWER_SUPPLY_CHARGE_FULL_DESIGN=4700000
POWER_SUPPLY_FCC_STEPPER_ENABLE=0
POWER_SUPPLY_BATTERY_CHARGING_ENABLED=1
POWER_SUPPLY_DP_DM_BQ=0
POWER_SUPPLY_TYPE_RECHECK=0
POWER_SUPPLY_WARM_FAKE_CHARGING=0
POWER_SUPPLY_STEP_VFLOAT_INDEX=0
POWER_SUPPLY_CAPACITY_LEVEL=Normal
";

    fn without(text: &str, keys: &[&str]) -> String {
        text.lines()
            .filter(|l| !keys.iter().any(|k| l.starts_with(&format!("POWER_SUPPLY_{k}="))))
            .map(|l| format!("{l}\n"))
            .collect()
    }

    #[test]
    fn real_laptop_battery_without_type_line() {
        assert_eq!(
            parse_uevent("BAT0", PROCFS_BAT0),
            Some(Battery {
                name: "BAT0".into(),
                pct: Some(85.0),
                status: Some("Discharging".into())
            })
        );
        // Without CAPACITY: ENERGY_NOW / ENERGY_FULL = 40730000 / 47390000.
        let b = parse_uevent("BAT0", &without(PROCFS_BAT0, &["CAPACITY"])).unwrap();
        assert!((b.pct.unwrap() - 85.946_402_194_555_82).abs() < 1e-9, "{:?}", b.pct);
    }

    #[test]
    fn real_mains_adapter_and_peripheral_are_not_batteries() {
        assert_eq!(parse_uevent("AC", PROCFS_AC), None);
        assert_eq!(parse_uevent("hidpp_battery_0", HIDPP_MOUSE), None);
        // The same mouse without its SCOPE line would count.
        let b = parse_uevent("hidpp_battery_0", &without(HIDPP_MOUSE, &["SCOPE"])).unwrap();
        assert_eq!(b.pct, Some(35.0));
    }

    #[test]
    fn real_phone_battery_capacity_then_charge_ratio() {
        let b = parse_uevent("battery", ANDROID_BATTERY).unwrap();
        assert_eq!((b.pct, b.status.as_deref()), (Some(73.0), Some("Discharging")));
        // No CAPACITY and no CHARGE_NOW: nothing to compute a percentage from.
        let b = parse_uevent("battery", &without(ANDROID_BATTERY, &["CAPACITY"])).unwrap();
        assert_eq!(b.pct, None);
    }

    // The cases below are written from the kernel's documented keys
    // (Documentation/ABI/testing/sysfs-class-power), not captured.

    #[test]
    fn documented_keys_type_scope_present_and_charge_ratio() {
        let charge = "POWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_STATUS=Charging\n\
                      POWER_SUPPLY_CHARGE_NOW=2924000\nPOWER_SUPPLY_CHARGE_FULL=3898000\n";
        let b = parse_uevent("BAT1", charge).unwrap();
        assert!((b.pct.unwrap() - 2924000.0 / 3898000.0 * 100.0).abs() < 1e-9);
        assert_eq!(b.status.as_deref(), Some("Charging"));
        assert_eq!(
            parse_uevent("usb", "POWER_SUPPLY_TYPE=USB\nPOWER_SUPPLY_CAPACITY=50\n"),
            None
        );
        assert_eq!(
            parse_uevent("BAT1", "POWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_PRESENT=0\n"),
            None
        );
        assert_eq!(
            parse_uevent(
                "BAT2",
                "POWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_SCOPE=System\nPOWER_SUPPLY_CAPACITY=101\n"
            ),
            Some(Battery {
                name: "BAT2".into(),
                pct: Some(100.0),
                status: None
            })
        );
        assert_eq!(
            parse_uevent(
                "BAT3",
                "POWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_ENERGY_NOW=5\nPOWER_SUPPLY_ENERGY_FULL=0\n"
            )
            .unwrap()
            .pct,
            None
        );
    }

    #[test]
    fn garbage_is_not_a_battery() {
        for junk in [
            "",
            "\n\n",
            "garbage",
            "=",
            "POWER_SUPPLY_",
            "POWER_SUPPLY_TYPE",
            "\u{0}\u{1b}[2J",
        ] {
            assert_eq!(parse_uevent("x", junk), None, "{junk:?}");
        }
        let odd = parse_uevent(
            "x",
            "POWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_CAPACITY=NaN\nPOWER_SUPPLY_STATUS=\n",
        )
        .unwrap();
        assert_eq!((odd.pct, odd.status), (None, None));
    }

    #[test]
    fn every_byte_prefix_of_the_real_files() {
        for text in [PROCFS_BAT0, PROCFS_AC, HIDPP_MOUSE, ANDROID_BATTERY] {
            for cut in 0..=text.len() {
                if let Some(b) = parse_uevent("p", &text[..cut]) {
                    assert!(b.pct.is_none_or(|p| (0.0..=100.0).contains(&p)));
                }
            }
        }
    }

    #[test]
    fn combined() {
        let b = |pct| Battery {
            name: "b".into(),
            pct,
            status: None,
        };
        assert_eq!(combined_pct(&[]), None);
        assert_eq!(combined_pct(&[b(None)]), None);
        assert_eq!(combined_pct(&[b(Some(80.0)), b(None), b(Some(40.0))]), Some(60.0));
        assert_eq!(combined_pct(&[b(Some(85.0))]), Some(85.0));
    }
}
