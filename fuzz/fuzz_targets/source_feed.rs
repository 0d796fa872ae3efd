//! Upstream feed parsing on arbitrary bytes: a listing or a `SourceError`, never a panic; every
//! entry kept is an absolute http(s) URL and the cap on entries holds.
#![no_main]

use libfuzzer_sys::fuzz_target;

use clearfeed::config::SourceKind;

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://fuzz.example/feed.xml").unwrap();
    if let Ok(listing) = clearfeed::source::read_listing(&SourceKind::Feed, data, &base, 20) {
        assert!(listing.entries.len() <= 20);
        for c in &listing.entries {
            assert!(matches!(c.url.scheme(), "http" | "https"), "{}", c.url);
        }
    }
});
