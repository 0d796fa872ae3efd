//! The extractor on arbitrary bytes: any input gives an article or an error, never a panic, and
//! the HTML it produces has no script, event handler or `javascript:` URL left in it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

use clearfeed::extract::{Extractor, SiteRules};
use clearfeed::model::Page;

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
        assert!(!has_event_handler(&html), "event handler survived: {html}");
    }
});

/// Whether any tag in `html` carries an `on…=` attribute (`onclick`, `onerror`, …). Text between
/// tags is not looked at: a sentence may well say "on=".
fn has_event_handler(html: &str) -> bool {
    html.split('<').skip(1).any(|rest| {
        let tag = rest.split('>').next().unwrap_or("");
        tag.split(|c: char| c.is_ascii_whitespace() || c == '/')
            .skip(1)
            .any(|attr| {
                let name = attr.split('=').next().unwrap_or("");
                attr.contains('=')
                    && name.len() > 2
                    && name.starts_with("on")
                    && name[2..].chars().all(|c| c.is_ascii_alphabetic())
            })
    })
}
