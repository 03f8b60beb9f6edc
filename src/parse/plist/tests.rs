use super::*;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/launchd/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn reads_a_calendar_job() {
    let v = parse(&fixture("calendar-daily.plist")).unwrap();
    assert_eq!(
        v.get("Label").and_then(Value::as_str),
        Some("local.kjk.sumatrastatsdaily")
    );
    assert_eq!(v.get("Nice").and_then(Value::as_int), Some(1));
    assert_eq!(v.get("LowPriorityIO").and_then(Value::as_bool), Some(true));
    let cal = v.get("StartCalendarInterval").unwrap();
    assert_eq!(cal.get("Hour").and_then(Value::as_int), Some(4));
    assert_eq!(cal.get("Minute").and_then(Value::as_int), Some(15));
    let args = v.get("ProgramArguments").and_then(Value::as_array).unwrap();
    assert_eq!(args.len(), 1);
}

#[test]
fn reads_dates_data_reals_and_entities() {
    let v = parse(&fixture("date-data.plist")).unwrap();
    assert_eq!(v.get("Label").and_then(Value::as_str), Some("local.blob & date"));
    assert_eq!(v.get("Created"), Some(&Value::Date("2024-03-01T07:00:00Z".into())));
    assert_eq!(v.get("Ratio"), Some(&Value::Real(0.75)));
    assert_eq!(v.get("Token"), Some(&Value::Data(12)));
}

#[test]
fn every_fixture_parses() {
    for f in std::fs::read_dir(format!("{}/tests/fixtures/launchd", env!("CARGO_MANIFEST_DIR"))).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "plist") {
            let v = parse(&std::fs::read_to_string(&p).unwrap());
            assert!(v.as_ref().is_ok_and(|v| v.get("Label").is_some()), "{p:?}: {v:?}");
        }
    }
}

#[test]
fn hostile_documents_are_errors_not_panics() {
    let deep = "<array>".repeat(MAX_DEPTH + 1) + &"</array>".repeat(MAX_DEPTH + 1);
    assert!(parse(&deep).unwrap_err().contains("deeper"));
    let wide = format!("<array>{}</array>", "<true/>".repeat(MAX_NODES + 1));
    assert!(parse(&wide).unwrap_err().contains("values"));
    let big = format!("<string>{}</string>", "x".repeat(MAX_INPUT));
    assert!(parse(&big).unwrap_err().contains("longer"));
    for bad in [
        "",
        "<plist>",
        "<dict><key>a</key></dict>",
        "<dict><string>a</string></dict>",
        "<dict><key>a</key><key>b</key></dict>",
        "<integer>twelve</integer>",
        "<real>NaN</real>",
        "<string><string>a</string></string>",
        "<script/>",
        "<string>a</array>",
        "<true/><true/>",
        "<string>&bogus;</string>",
        "loose text",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} → {:?}", parse(bad));
    }
    // A long string is cut, control bytes are gone.
    let long = format!("<string>\u{1b}[2J{}</string>", "y".repeat(5000));
    let Value::String(s) = parse(&long).unwrap() else {
        panic!()
    };
    assert!(s.chars().count() <= MAX_STRING && !s.contains('\u{1b}'), "{}", s.len());
}

#[test]
fn empty_forms_and_hex() {
    let v = parse(
        "<dict><key>a</key><string/><key>b</key><dict/><key>c</key><array/><key>d</key><integer>0x1F</integer></dict>",
    )
    .unwrap();
    assert_eq!(v.get("a"), Some(&Value::String(String::new())));
    assert_eq!(v.get("b"), Some(&Value::Dict(vec![])));
    assert_eq!(v.get("c"), Some(&Value::Array(vec![])));
    assert_eq!(v.get("d"), Some(&Value::Integer(31)));
}
