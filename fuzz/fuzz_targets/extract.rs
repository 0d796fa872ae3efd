//! The extractor on arbitrary bytes: any input gives an article or an error, never a panic, and
//! the HTML it produces has no script, event handler or `javascript:` URL left in it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

use clearfeed::config::SiteRules;
use clearfeed::extract::Extractor;
use clearfeed::fetch::Page;

fn extractor() -> &'static Extractor {
    static X: OnceLock<Extractor> = OnceLock::new();
    X.get_or_init(|| Extractor::new(&SiteRules::default()).expect("built-in rules compile"))
}

fuzz_target!(|data: &[u8]| {
    let url = url::Url::parse("https://fuzz.example/2026/story").ok();
    let page = Page::from_bytes(data.to_vec(), url);
    if let Ok(article) = extractor().article(&page) {
        let html = article.content_html.to_ascii_lowercase();
        assert!(!html.contains("<script"), "script survived: {html}");
        assert!(!html.contains("javascript:"), "javascript: URL survived: {html}");
    }
});
