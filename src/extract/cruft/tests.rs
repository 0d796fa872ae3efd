//! Tests of the block-level cruft rules: labels, patterns, captions, site patterns, tokens and
//! key-point headings.

use super::*;

fn rules() -> CruftRules {
    CruftRules::new(&SiteRules::default()).unwrap()
}

#[test]
fn cruft_blocks_are_recognised() {
    let r = rules();
    let cases = [
        ("english ad label", "Advertisement"),
        ("upper-case ad label", "ADVERTISEMENT"),
        ("german ad label", "Anzeige"),
        ("spanish ad label", "Publicidad"),
        ("french ad label", "Publicité"),
        ("italian ad label", "Pubblicità"),
        ("traditional chinese ad label", "廣告"),
        ("simplified chinese ad label", "广告"),
        ("sponsored label", "Sponsored"),
        ("decorated label", "— ADVERTISEMENT —"),
        ("reading time", "Reading Time: 4 minutes"),
        ("min read", "6 min read"),
        ("german reading time", "Lesezeit: 3 Minuten"),
        ("video timestamp", "02:42"),
        ("long timestamp", "1:02:42"),
        ("loading", "Loading..."),
        (
            "why trust box",
            "Why you can trust Example Reviews: our experts test every product.",
        ),
        (
            "read more link",
            "READ MORE: Council approves the new bridge",
        ),
        (
            "related link",
            "Related: Five things to know about the vote",
        ),
        (
            "newsletter prompt",
            "Sign up for our daily newsletter to get the news in your inbox",
        ),
        (
            "cookie banner",
            "We use cookies to improve your experience on our site.",
        ),
        ("share bar", "Share on Facebook Share on Twitter Email"),
        ("comments counter", "12 comments"),
        (
            "copyright line",
            "© 2024 Example Media Group. All rights reserved.",
        ),
        ("site pattern", "Continue reading on the app"),
    ];
    let site = SiteRules {
        drop_text: vec!["continue reading on the app".into()],
        ..SiteRules::default()
    };
    let with_site = CruftRules::new(&site).unwrap();
    for (name, text) in cases {
        let rules = if name == "site pattern" {
            &with_site
        } else {
            &r
        };
        assert!(
            rules.is_cruft_text(text),
            "{name}: {text:?} should be cruft"
        );
    }
}

#[test]
fn real_paragraphs_are_not_cruft() {
    let r = rules();
    let cases = [
        (
            "news paragraph",
            "The council voted on Tuesday to approve the new bridge, ending a decade of debate.",
        ),
        (
            "paragraph mentioning ads",
            "Advertisement spending rose by 4% last year, according to the agency's annual report on the market.",
        ),
        (
            "long paragraph opening with read more",
            "Read more than a hundred pages of the report and you find that the budget was never balanced, despite what the minister said in parliament last week, and that the auditors had warned about the shortfall twice before the election was called.",
        ),
        (
            "time of day in a sentence",
            "The train left at 02:42 and arrived late.",
        ),
        ("heading", "How the vote unfolded"),
    ];
    for (name, text) in cases {
        assert!(!r.is_cruft_text(text), "{name}: {text:?} should be kept");
    }
}

#[test]
fn captions_and_credits_are_recognised() {
    let r = rules();
    let yes = [
        ("photo prefix", "Photo: Jane Doe/Example News"),
        ("credit prefix", "Credit: City Archive"),
        (
            "photo by in parentheses",
            "Crowds gather near the square. (Photo by John Roe)",
        ),
        (
            "agency credit",
            "Protesters march in the capital. Getty Images",
        ),
        (
            "afp via getty",
            "A man walks past the ruins. AFP via Getty Images",
        ),
        ("german credit", "Foto: Max Muster"),
    ];
    for (name, text) in yes {
        assert!(r.is_caption(text), "{name}: {text:?} should be a caption");
    }
    let no = [
        (
            "plain paragraph",
            "The minister said the photo was taken in May.",
        ),
        (
            "photographer in body",
            "Photographers waited outside the court for hours.",
        ),
    ];
    for (name, text) in no {
        assert!(
            !r.is_caption(text),
            "{name}: {text:?} should not be a caption"
        );
    }
}

#[test]
fn bad_site_pattern_is_a_rule_error() {
    let site = SiteRules {
        drop_text: vec!["(unclosed".into()],
        ..SiteRules::default()
    };
    match CruftRules::new(&site) {
        Err(ExtractError::BadRule { key, .. }) => assert_eq!(key, "drop_text[0]"),
        other => panic!("expected BadRule, got {other:?}"),
    }
}

#[test]
fn tokens_split_on_separators_and_camel_case() {
    let mut out = Vec::new();
    for_each_token("relatedPosts ad-slot has_sidebar", |t| {
        out.push(t.to_string())
    });
    assert_eq!(out, ["related", "posts", "ad", "slot", "has", "sidebar"]);
}

#[test]
fn bullet_headings() {
    let r = rules();
    assert!(r.is_bullet_heading("Key points"));
    assert!(r.is_bullet_heading("STORY HIGHLIGHTS"));
    assert!(r.is_bullet_heading("What you need to know:"));
    assert!(!r.is_bullet_heading("What the minister said"));
}

#[test]
fn feed_descriptions_lose_their_cruft_sentences() {
    use super::clean_description;
    assert_eq!(
        clean_description("Boats are back. ADVERTISEMENT"),
        "Boats are back."
    );
    assert_eq!(
        clean_description("<p>World news from the harbour.</p><p>Advertisement</p>"),
        "World news from the harbour."
    );
    assert_eq!(
        clean_description("Local news | Sponsored | Sign up for our daily newsletter"),
        "Local news"
    );
    assert_eq!(
        clean_description("  Plain   description  "),
        "Plain description"
    );
    assert_eq!(clean_description("Advertisement"), "");
}

/// Every site's rule set uses the one compiled built-in set (and so its one set of regex caches):
/// a compiled copy per site cost megabytes of caches each.
#[test]
fn site_rule_sets_share_the_builtin_sets() {
    let site = SiteRules {
        drop_text: vec!["only on this site".into()],
        ..SiteRules::default()
    };
    let (plain, own) = (rules(), CruftRules::new(&site).unwrap());
    assert!(std::ptr::eq(plain.builtin, own.builtin));
    assert!(own.is_cruft_text("Only on this site") && !plain.is_cruft_text("Only on this site"));
    assert!(own.is_cruft_text("Advertisement") && plain.is_cruft_text("Advertisement"));
}

#[test]
fn story_footers_and_closing_section_labels() {
    let r = rules();
    for text in [
        "This entry was posted in General. Bookmark the permalink.",
        "War der Artikel nützlich?",
        "Weitere Artikel werden geladen...",
        "Publiziert: 03.04.2020, 12:35",
        "Stand: 05. Februar 2020",
        "Sie sind aktuell nicht eingeloggt.",
    ] {
        assert!(r.is_cruft_text(text), "{text:?} should be cruft");
    }
    for heading in [
        "Quellen:",
        "Further information",
        "Kontakt",
        "Zum Weiterlesen",
        "Das Thema könnte dich auch interessieren:",
        "About the author",
        "Ähnliche Beiträge",
    ] {
        assert!(
            r.is_cruft_box_heading(heading),
            "{heading:?} should close a story"
        );
    }
    for kept in [
        "Stand der Forschung",
        "Kontakt mit der Außenwelt",
        "Published in 2019, the report found that fares had risen by a third.",
    ] {
        assert!(
            !r.is_cruft_text(kept) && !r.is_cruft_box_heading(kept),
            "{kept:?}"
        );
    }
}

#[test]
fn credits_sources_and_read_also_pointers_in_more_languages() {
    let r = rules();
    for caption in [
        "Der Hafen am Westufer des Sees. © Tourismusverband / Anna Berger",
        "Titelbild: Muster/Agentur",
        "Abbildung 4: Schichtaufbau einer Schneedecke.",
        "Vergrößern Die neue Kamera sitzt in einer runden Aussparung.",
    ] {
        assert!(r.is_caption(caption), "{caption:?} should be a caption");
    }
    for source in ["Quelle: Landesregierung", "Źródło: agencja prasowa"] {
        assert!(r.is_cruft_text(source), "{source:?} should be cruft");
    }
    // A label followed by a link to another story; the same words opening prose are kept.
    for (line, link) in [
        ("Czytaj też: Nowy most otwarty po remoncie", 32),
        ("PUEDES VER: ¿Qué cambia en la ley de tránsito?", 34),
        ("Le puede interesar: El nuevo puerto abrirá en mayo", 30),
        ("Lesen Sie hier: Die Brücke bleibt bis Juni gesperrt", 36),
    ] {
        assert!(
            r.is_read_also_line(line, line.chars().count(), link),
            "{line:?}"
        );
    }
    let prose = "Mira, the harbour pilot, said the crossing took four hours.";
    assert!(!r.is_read_also_line(prose, prose.chars().count(), 4));
    for kept in [
        "Quellen zufolge soll der Vertrag im Mai unterschrieben werden, was beide Seiten bestätigten.",
        "The council said the © notice on the old maps would be kept.",
        "Abbildungen aus dem Archiv zeigen den Hafen um 1900.",
    ] {
        assert!(
            !r.is_caption(kept) && !r.is_cruft_text(kept),
            "{kept:?} should be kept"
        );
    }
}

#[test]
fn disclosures_reprint_notes_and_who_is_pictured() {
    let r = rules();
    for text in [
        "Dieser Artikel enthält Affiliate-Links. Kaufst du darüber ein, erhalten wir eine Provision.",
        "*Werbung. Dieser Beitrag enthält Werbung für einen Fahrradverleih.",
        "Innlegget inneholder annonselenker til nettbutikker.",
        "Danke an den Verlag für das Rezensionsexemplar. Das hat keinen Einfluss auf meine Meinung.",
        "This article originally appeared on Harbour Weekly.",
        "Der Beitrag erschien zuerst bei der Küstenpost.",
    ] {
        assert!(r.is_cruft_text(text), "{text:?} should be cruft");
    }
    for caption in [
        "Von links nach rechts: Hannes, Wiebke und Oma Grete an der Brücke.",
        "Pictured: the new ferry on its first crossing",
        "На фото: новый паром в порту",
    ] {
        assert!(r.is_caption(caption), "{caption:?} should be a caption");
    }
    for kept in [
        "Von links kam plötzlich ein Lieferwagen, der die Kreuzung bei Rot überquerte.",
        "The article that first appeared in the council's newsletter drew hundreds of replies from readers.",
    ] {
        assert!(
            !r.is_caption(kept) && !r.is_cruft_text(kept),
            "{kept:?} should be kept"
        );
    }
}
