use super::not_after;

fn ms(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

const UTC: &[u8] = include_bytes!("../../tests/fixtures/x509/utc.der");
const GEN: &[u8] = include_bytes!("../../tests/fixtures/x509/gen.der");

#[test]
fn reads_not_after_as_utc_time() {
    // `openssl x509 -enddate` says 2027-01-01 04:19:21Z.
    assert_eq!(not_after(UTC), Some(ms("2027-01-01T04:19:21Z")));
}

#[test]
fn reads_not_after_as_generalized_time() {
    // After 2049 the time is a GeneralizedTime.
    assert_eq!(not_after(GEN), Some(ms("2136-06-08T04:19:21Z")));
}

#[test]
fn utc_time_before_1950_rule() {
    assert_eq!(super::time(0x17, b"500101000000Z"), Some(ms("1950-01-01T00:00:00Z")));
    assert_eq!(super::time(0x17, b"491231235959Z"), Some(ms("2049-12-31T23:59:59Z")));
    assert_eq!(super::time(0x17, b"491331235959Z"), None);
    assert_eq!(super::time(0x17, b"4912312359+9Z"), None);
    assert_eq!(super::time(0x18, b"20491231235959"), None);
    assert_eq!(super::time(0x18, b"491231235959Z"), None);
}

#[test]
fn every_cut_and_flip_is_none_or_a_time_never_a_panic() {
    for n in 0..UTC.len() {
        assert_eq!(not_after(&UTC[..n]), None, "cut at {n}");
    }
    for i in 0..GEN.len() {
        for bit in 0..8 {
            let mut b = GEN.to_vec();
            b[i] ^= 1 << bit;
            let _ = not_after(&b);
        }
    }
    assert_eq!(not_after(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
    assert_eq!(not_after(&[0x30, 0x80]), None);
    assert_eq!(not_after(&[0x1f, 0x00]), None);
}

#[test]
fn generalized_time_covers_year_0_to_9999() {
    assert_eq!(super::time(0x18, b"00000101000000Z"), Some(-62_167_219_200_000));
    assert_eq!(super::time(0x18, b"99991230000000Z"), Some(253_402_128_000_000));
    // Past the last instant jiff's Timestamp holds: nothing, not a panic.
    assert_eq!(super::time(0x18, b"99991231235959Z"), None);
}
