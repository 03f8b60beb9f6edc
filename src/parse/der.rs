//! The expiry (`notAfter`) of an X.509 certificate, read from its DER bytes
//! by a small bounded reader: Certificate → TBSCertificate → validity →
//! notAfter, as UTCTime or GeneralizedTime. A server's certificate is
//! outside input: any bytes give `None` or a time, never a panic.

use crate::model::Millis;

/// A DER element: its tag, its contents, and what follows it.
struct Tlv<'a> {
    tag: u8,
    body: &'a [u8],
    rest: &'a [u8],
}

/// One element at the start of `b`. Only single-byte tags and definite
/// lengths of up to four bytes (DER allows nothing else for a certificate).
fn tlv(b: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, b) = b.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, b) = b.split_first()?;
    let (len, b) = if first < 0x80 {
        (usize::from(first), b)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || b.len() < n {
            return None;
        }
        let len = b[..n].iter().fold(0usize, |a, &x| (a << 8) | usize::from(x));
        (len, &b[n..])
    };
    if b.len() < len {
        return None;
    }
    let (body, rest) = b.split_at(len);
    Some(Tlv { tag, body, rest })
}

const SEQUENCE: u8 = 0x30;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// `[0] EXPLICIT Version` at the start of a TBSCertificate.
const VERSION: u8 = 0xa0;

/// The `notAfter` of the certificate in `der`, in ms since the epoch.
pub(crate) fn not_after(der: &[u8]) -> Option<Millis> {
    let cert = tlv(der).filter(|t| t.tag == SEQUENCE)?;
    let tbs = tlv(cert.body).filter(|t| t.tag == SEQUENCE)?;
    let mut b = tbs.body;
    if b.first() == Some(&VERSION) {
        b = tlv(b)?.rest;
    }
    // serialNumber, signature, issuer, then validity.
    for _ in 0..3 {
        b = tlv(b)?.rest;
    }
    let validity = tlv(b).filter(|t| t.tag == SEQUENCE)?;
    let not_before = tlv(validity.body)?;
    let not_after = tlv(not_before.rest)?;
    time(not_after.tag, not_after.body)
}

/// A UTCTime (`YYMMDDHHMMSSZ`, 50..99 → 19xx) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`) as ms since the epoch.
fn time(tag: u8, body: &[u8]) -> Option<Millis> {
    let digits = body.strip_suffix(b"Z")?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |s: &[u8]| s.iter().fold(0i16, |a, &d| a * 10 + i16::from(d - b'0'));
    let (year, rest) = match (tag, digits.len()) {
        (UTC_TIME, 12) => {
            let yy = num(&digits[..2]);
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &digits[2..])
        }
        (GENERALIZED_TIME, 14) => (num(&digits[..4]), &digits[4..]),
        _ => return None,
    };
    let two = |i: usize| i8::try_from(num(&rest[i..i + 2])).ok();
    let dt = jiff::civil::DateTime::new(year, two(0)?, two(2)?, two(4)?, two(6)?, two(8)?, 0).ok()?;
    let ts = jiff::tz::TimeZone::UTC.to_timestamp(dt).ok()?;
    Some(ts.as_millisecond())
}

#[cfg(test)]
#[path = "der_tests.rs"]
mod tests;
