//! Lenient date parsing for the formats pages actually use (RFC 3339, RFC 2822, ISO 8601
//! variants, month names, Unix timestamps). Owns parsing only; which attribute holds the date is
//! decided by the callers (`meta`, `plain`).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parses the date formats pages actually use: RFC 3339, RFC 2822, ISO 8601 without a colon in
/// the offset or without an offset at all (taken as UTC), bare dates (midnight UTC), a few
/// English month-name forms, and Unix timestamps.
pub(crate) fn parse_date(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d);
    }
    let zulu = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix('z'))
        .map(|r| format!("{r}+00:00"));
    let with_offset = zulu.as_deref().unwrap_or(s);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S %z",
        "%Y-%m-%d %H:%M%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(with_offset, f) {
            return Some(d);
        }
    }
    let utc = |n: NaiveDateTime| Some(Utc.from_utc_datetime(&n).fixed_offset());
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return utc(n);
        }
    }
    for f in [
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y%m%d",
        "%B %d, %Y",
        "%b %d, %Y",
        "%d %B %Y",
        "%d %b %Y",
        "%B %d %Y",
        "%d.%m.%Y",
    ] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return utc(d.and_hms_opt(0, 0, 0)?);
        }
    }
    if s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()) {
        return DateTime::from_timestamp(s.parse().ok()?, 0).map(|d| d.fixed_offset());
    }
    if s.len() == 13 && s.bytes().all(|b| b.is_ascii_digit()) {
        return DateTime::from_timestamp_millis(s.parse().ok()?).map(|d| d.fixed_offset());
    }
    None
}
