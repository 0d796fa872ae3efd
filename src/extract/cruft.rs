//! Cruft rules as data: the phrases, patterns and class/id tokens that mark boilerplate (ad labels
//! in several languages, "Reading time", "Why you can trust", video timestamps, newsletter prompts,
//! share bars, captions and credits, ...). Shared by the HTML and the plain-text paths.
//!
//! Everything here is a general rule that holds across sites: whole-block phrases, anchored
//! patterns and boilerplate class tokens. A site's own patterns (`drop_text`) are added on top.
//! The lists are compiled once in [`CruftRules::new`]; checking a block is a hash lookup plus one
//! pass of a [`RegexSet`].

use std::collections::HashSet;

use regex::RegexSet;

use crate::extract::ExtractError;
use crate::extract::SiteRules;

/// Whole blocks that are boilerplate whatever the site, compared after [`normalize_label`]
/// (lower case, surrounding punctuation and whitespace trimmed).
const LABELS: &[&str] = &[
    // Ad labels, many languages.
    "advertisement",
    "advertisements",
    "advertising",
    "advertisement feature",
    "ad",
    "ads",
    "sponsored",
    "sponsored content",
    "sponsored links",
    "paid content",
    "paid post",
    "promoted",
    "promoted content",
    "partner content",
    "anzeige",
    "werbung",
    "publicidad",
    "publicité",
    "publicite",
    "pubblicità",
    "pubblicita",
    "publicidade",
    "reclame",
    "advertentie",
    "reklama",
    "reklame",
    "annons",
    "annonse",
    "mainos",
    "реклама",
    "廣告",
    "广告",
    "広告",
    "광고",
    "skip advertisement",
    "story continues below advertisement",
    "article continues below advertisement",
    "continue reading below",
    "advertisement - scroll to continue",
    "scroll to continue with content",
    "content continues below",
    // Loading and player chrome.
    "loading",
    "loading...",
    "loading…",
    "please wait",
    "now playing",
    "up next",
    "play",
    "pause",
    "replay",
    "mute",
    "unmute",
    "watch",
    "watch now",
    "play video",
    "watch video",
    "video",
    "close",
    "cancel",
    "fullscreen",
    "enter fullscreen",
    "exit fullscreen",
    // Share bars and page chrome.
    "share",
    "share this",
    "share this article",
    "share this story",
    "share this post",
    "share article",
    "share on facebook",
    "share on twitter",
    "share on linkedin",
    "share via email",
    "copy link",
    "link copied",
    "tweet",
    "email",
    "print",
    "teilen",
    "partager",
    "compartir",
    "condividi",
    "back to top",
    "top",
    "menu",
    "search",
    "comments",
    "comment",
    "leave a comment",
    "post a comment",
    "add a comment",
    "show comments",
    "view comments",
    "related",
    "related articles",
    "related stories",
    "related posts",
    "related content",
    "related topics",
    "recommended",
    "recommended for you",
    "recommended stories",
    "you may also like",
    "you might also like",
    "more stories",
    "more on this story",
    "read more",
    "read next",
    "most read",
    "most popular",
    "trending",
    "trending now",
    "newsletter",
    "subscribe",
    "sign up",
    "getty images",
    "listen to this article",
    "audio",
    "lesen sie auch",
    "mehr zum thema",
    "das könnte sie auch interessieren",
    "lire aussi",
    "à lire aussi",
    "a lire aussi",
    "lee también",
    "leer más",
    "leggi anche",
    "tags",
    // Page chrome a plain-text dump of a page carries along.
    "skip to main content",
    "skip to content",
    "skip to navigation",
    "sign in",
    "log in",
    "register",
    "my account",
    "report this ad",
    "report ad",
];

/// Anchored patterns for a whole block of any length.
const BLOCK_PATTERNS: &[&str] = &[
    // "Why you can trust …" boxes.
    r"^why you can trust\b.{0,600}$",
    // Video timestamps and durations: "02:42", "1:02:42", "02:42 / 05:10".
    r"^\d{1,2}:\d{2}(:\d{2})?(\s*/\s*\d{1,2}:\d{2}(:\d{2})?)?$",
    r"^(duration|dauer|durée)\s*:?\s*\d{1,2}:\d{2}(:\d{2})?$",
    // "Reading Time: 4 minutes", "Estimated reading time 3 min", "Lesezeit: 3 Minuten".
    r"^(estimated\s+)?(reading|read)\s+time\s*[:\-–]?\s*(about\s+|approx\.?\s+)?(\d+|less than( a| one)?)\s*(-\s*\d+\s*)?(min|mins|minutes?|m)?\b.{0,20}$",
    r"^(lesezeit|lesedauer|temps de lecture|tiempo de lectura|tempo di lettura)\s*[:\-–]?\s*(ca\.\s*)?\d+.{0,20}$",
    // "4 min read", "5 minute read", "3 Min. Lesezeit".
    r"^(\d+|one|two|three|four|five)[\s-]*(min|mins|minutes?|min\.)\s*(read|reading|lesezeit|de lecture|de lectura|di lettura)$",
    // "Image 2 of 8", "Photo 3/10".
    r"^(image|photo|picture|slide|bild|foto)\s+\d+\s*(of|/|von|sur|de)\s*\d+$",
    // Counters: "12 comments", "3 Kommentare".
    r"^\d+\s+(comments?|kommentare?|commentaires?|comentarios?|commenti|replies|shares?)$",
    // JavaScript / browser notices.
    r"^(please\s+)?(enable|turn on|activate)\s+javascript\b.{0,200}$",
    r"^(javascript is (disabled|required)|your browser does not support)\b.{0,200}$",
    r"^this (article|story|content) is more than \d+ (years?|months?) old\.?$",
    // "Advertisement · Scroll to continue": an ad label joined to its reading prompt.
    r"^(advertisement|anzeige|publicidad|publicité|pubblicità)\s*[·|\-–—:]\s*(scroll|continue|story continues).{0,40}$",
    // Wire-service footers: licensing and standards links.
    r"^purchase licensing rights\b.{0,40}$",
    r"^our standards\s*:.{0,80}$",
];

/// Anchored patterns that only apply to short blocks (at most [`SHORT_BLOCK`] characters): a prompt
/// that might open a real paragraph when it is long.
const SHORT_PATTERNS: &[&str] = &[
    // "READ MORE: …", "Related: …", "See also: …".
    r"^(read more|read also|more reading|also read|see also|related|related article|related story|recommended|recommended reading|further reading|more from|more on this|watch|watch more|listen|lesen sie auch|lesen sie mehr|mehr zum thema|auch interessant|weiterlesen|lire aussi|à lire aussi|a lire aussi|voir aussi|lee también|leer más|ver también|leggi anche|lees ook|zie ook)\s*[:»>|\-–—]",
    // Newsletter and subscription prompts.
    r"^(sign up|signup|subscribe|register|join)\b.{0,200}\b(newsletter|inbox|email|e-mail|updates|briefing|alerts)\b",
    r"\b(our|free|daily|weekly)\s+newsletters?\b",
    r"^get (our|the) .{0,60}(newsletter|in your inbox|delivered)",
    r"^(subscribe|sign in|log in|register)\s+(now|today|here)?\s*(to (continue|read|keep reading|get))",
    r"^already (a subscriber|subscribed|have an account)\b",
    r"^(newsletter abonnieren|jetzt abonnieren|abonnez-vous|suscríbete|iscriviti)\b",
    r"\b(apúntate|suscríbete|inscríbete|regístrate)\s+(a|en|al)\s+(nuestros?|el|los|la)\s+(boletín|boletines|newsletter)",
    r"\b(inscrivez-vous|abonnez-vous)\s+à\s+(notre|nos|la)\s+(newsletter|lettre)",
    r"\biscriviti\s+alla\s+(nostra\s+)?newsletter",
    r"\b(melden sie sich|abonnieren sie)\b.{0,40}\bnewsletter",
    // Cookie banners.
    r"\b(we|this (site|website)) uses? cookies\b",
    r"\b(accept|allow|manage)( all)? cookies\b",
    r"\bcookie (policy|settings|preferences|consent)\b",
    r"\b(verwendet|nutzt|nutzen|verwenden) cookies\b",
    r"\butilise des cookies\b",
    r"\butiliza(mos)? cookies\b",
    // Share and follow bars.
    r"^(share|follow us|follow|like us|share this (article|story|post)|share on|teilen|partager|compartir|condividi)\b.{0,40}(facebook|twitter|linkedin|whatsapp|email|instagram|pinterest|reddit|x\b)",
    r"^(click|tap) here to\b",
    // Copyright lines.
    r"^(©|\(c\)|copyright\b)\s*.{0,120}$",
    r"^all rights reserved\.?$",
    r"^(comments are closed|leave a reply|add your comment|join the (conversation|discussion))\b",
    r"^(sponsored|advertisement|anzeige|publicidad|publicité)\s*[:|\-–—]",
];

/// Headings that make the small box they open boilerplate as a whole: the heading names what the
/// box is (a "Why you can trust us" panel, a donation appeal, a comment thread, a related-links
/// section), so its paragraphs go with it even when their own words look like prose.
const BOX_HEADING_PATTERNS: &[&str] = &[
    r"^why you can trust\b",
    r"^(how we (test|review|rate)|our (testing|review) (process|methodology))\b",
    r"\b(a|one) small favou?r to ask\b",
    r"^(support|donate to|contribute to|help) (us|our journalism|independent journalism)\b",
    r"^(comments?|reactions?|réactions?|commentaires?|commenti|comentarios?|kommentare?|leserkommentare|discussion|join the (conversation|discussion))\s*[(\[]?\s*\d*\s*[)\]]?$",
    r"^(related|related (articles|stories|content|links)|recommended|more (stories|from|on this)|you (may|might) also like|read (more|next|also)|lesen sie auch|mehr zum thema|lire aussi|à lire aussi|sur le même sujet|lee también|te puede interesar|noticias relacionadas|leggi anche|potrebbe interessarti( anche)?|ti potrebbe interessare|explore more on these topics)\b",
];

/// Labels that open an inline "read also" line ("Leggi anche <a>Other story</a>"): with the rest
/// of the line a link, the whole line is a pointer to another article, whatever punctuation
/// follows the label. Compared after [`normalize_label`].
const READ_ALSO_LABELS: &[&str] = &[
    "read more",
    "read also",
    "also read",
    "see also",
    "related",
    "lesen sie auch",
    "mehr zum thema",
    "lire aussi",
    "à lire aussi",
    "a lire aussi",
    "voir aussi",
    "lee también",
    "lea también",
    "leer más",
    "ver también",
    "leggi anche",
    "leggi pure",
    "vedi anche",
    "lees ook",
    "zie ook",
];

/// Longest block any built-in rule applies to, in characters (the block patterns are bounded).
const LONGEST_CRUFT: usize = 640;

/// How long a block may be for [`SHORT_PATTERNS`] to apply, in characters.
const SHORT_BLOCK: usize = 280;

/// Photo captions and credits. Applied to blocks of at most [`CAPTION_MAX`] characters.
const CAPTION_PATTERNS: &[&str] = &[
    r"^(photo|photos|photograph|photography|picture|pictures|pic|image|images|illustration|graphic|credit|credits|photo credit|image credit|image source|bildquelle|foto|fotos|bild|crédit photo|crédit|crédito|fotografía|créditos)\s*(:|\||/|©|—|–)",
    r"^(photo|photograph|picture|image|illustration)s?\s+(by|courtesy( of)?|credit)\b",
    r"\((?:[^()]*\s)?(photo|photograph|picture|image|illustration|file photo|pic)s?\s*(by|courtesy|credit|:)[^()]*\)\s*\.?$",
    r"(getty images|gettyimages|shutterstock|istock(photo)?|afp via getty|ap photo|reuters/|epa-efe|alamy|imago images|picture alliance|dpa-bildfunk)[^.]{0,40}\)?\.?$",
    r"^\s*(©|\(c\))\s*\S.{0,80}$",
];

/// Longest caption the caption patterns are tried on, in characters.
const CAPTION_MAX: usize = 400;

/// Class/id tokens (lower case, split on `-`, `_`, space and camelCase) that mark a boilerplate
/// element: ads, share bars, related links, comments, cookie banners, navigation, video players.
/// Matched as whole tokens, so `has-sidebar` matches `sidebar` but `article-ad-free` does not match
/// `ad` alone (see [`NEGATING_TOKENS`]). The content engine never removes an element that holds
/// most of the page's paragraph text, whatever its tokens say.
pub(crate) const BOILERPLATE_TOKENS: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "advert",
    "adverts",
    "advertisement",
    "advertising",
    "adsense",
    "adslot",
    "adunit",
    "adbox",
    "adblock",
    "dfp",
    "gpt",
    "sponsor",
    "sponsored",
    "sponsors",
    "promo",
    "promos",
    "promotion",
    "promoted",
    "share",
    "shares",
    "sharing",
    "sharebar",
    "sharethis",
    "addthis",
    "social",
    "socials",
    "related",
    "recommended",
    "recommendations",
    "recirc",
    "outbrain",
    "taboola",
    "newsletter",
    "subscribe",
    "subscription",
    "paywall",
    "comment",
    "comments",
    "commentlist",
    "disqus",
    "respond",
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "banner",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "widget",
    "widgets",
    "popup",
    "modal",
    "overlay",
    "lightbox",
    "player",
    "masthead",
    "navbar",
    "nav",
    "navigation",
    "menu",
    "footer",
    "pagination",
    "pager",
    "skip",
    "toolbar",
    "tooltip",
    "sr",
    "visually",
    "offscreen",
    "print",
    "byline",
    "tags",
    "tagcloud",
    "caption",
    "credit",
    "credits",
    "copyright",
    "author",
    "bio",
    "meta",
    "rating",
    "vote",
    "signup",
    "login",
    "follow",
    "trending",
    "popular",
    "mostread",
    "more",
    "extra",
    "community",
    "jump",
    // The same in the languages of our pages: comment threads, newsletter boxes, related links.
    "commentaires",
    "commenti",
    "comentarios",
    "kommentare",
    "reactions",
    "boletin",
    "newsletters",
    "correlati",
    "relacionadas",
];

/// Tokens that cancel a boilerplate token in the same class/id (`article-ad-free`, `no-sidebar`,
/// `main-content`): these name the article itself or negate the hint.
pub(crate) const NEGATING_TOKENS: &[&str] = &[
    "free",
    "no",
    "without",
    "less",
    "has",
    "with",
    "articlebody",
];

/// Class/id tokens that mark the article body, used as a positive scoring hint.
pub(crate) const CONTENT_TOKENS: &[&str] = &[
    "article",
    "articlebody",
    "body",
    "content",
    "entry",
    "main",
    "post",
    "story",
    "text",
    "blog",
    "page",
    "column",
    "prose",
    "richtext",
    "rte",
    "detail",
    "news",
    "inhalt",
    "artikel",
];

/// Class/id tokens that mark a key-points container.
pub(crate) const BULLET_TOKENS: &[&str] = &[
    "highlights",
    "keypoints",
    "takeaways",
    "tldr",
    "summary",
    "bullets",
    "standfirst",
];

/// Whole-text headings that introduce the key points, compared after [`normalize_label`].
pub(crate) const BULLET_HEADINGS: &[&str] = &[
    "key points",
    "key point",
    "story highlights",
    "highlights",
    "in brief",
    "at a glance",
    "key takeaways",
    "takeaways",
    "what you need to know",
    "the big picture",
    "the essentials",
    "in short",
    "summary",
    "tl;dr",
    "tldr",
    "das wichtigste in kürze",
    "auf einen blick",
    "en bref",
    "l'essentiel",
    "lo esencial",
    "en resumen",
    "in sintesi",
    "in breve",
    "punti chiave",
    "points clés",
    "les points clés",
    "à retenir",
    "ce qu'il faut retenir",
    "claves",
    "las claves",
    "lo más importante",
    "puntos clave",
    "das wichtigste",
    "kurz und knapp",
];

/// What a class/id token says: bit 0 boilerplate, bit 1 negates boilerplate, bit 2 article
/// content, bit 3 key points.
pub(crate) const TOKEN_BOILER: u8 = 1;
pub(crate) const TOKEN_NEGATE: u8 = 2;
pub(crate) const TOKEN_CONTENT: u8 = 4;
pub(crate) const TOKEN_BULLET: u8 = 8;

static TOKEN_TABLE: std::sync::LazyLock<std::collections::HashMap<&'static str, u8>> =
    std::sync::LazyLock::new(|| {
        let mut m = std::collections::HashMap::new();
        for (list, bit) in [
            (BOILERPLATE_TOKENS, TOKEN_BOILER),
            (NEGATING_TOKENS, TOKEN_NEGATE),
            (CONTENT_TOKENS, TOKEN_CONTENT),
            (BULLET_TOKENS, TOKEN_BULLET),
        ] {
            for t in list {
                *m.entry(*t).or_insert(0) |= bit;
            }
        }
        m
    });

/// The kind bits of one lower-case class/id token (0 when it says nothing).
pub(crate) fn token_kind(token: &str) -> u8 {
    TOKEN_TABLE.get(token).copied().unwrap_or(0)
}

/// Compiled cruft rules: the built-in set plus a site's `drop_text` patterns.
#[derive(Debug, Clone)]
pub struct CruftRules {
    labels: HashSet<&'static str>,
    block: RegexSet,
    short: RegexSet,
    caption: RegexSet,
    box_heading: RegexSet,
    site: RegexSet,
}

fn compile(patterns: &[&str]) -> RegexSet {
    // ASCII word boundaries keep the set on the fast DFA engines (a Unicode `\b` forces the
    // slow NFA simulation); the phrases they delimit are ASCII anyway.
    let anchored: Vec<String> = patterns
        .iter()
        .map(|p| format!("(?i){}", p.replace(r"\b", r"(?-u:\b)")))
        .collect();
    // The built-in patterns are constants covered by tests; failing here is a programming error.
    RegexSet::new(anchored).expect("built-in cruft patterns compile")
}

impl CruftRules {
    /// Built-in rules merged with a site's own.
    pub fn new(site: &SiteRules) -> Result<Self, ExtractError> {
        let mut site_patterns = Vec::with_capacity(site.drop_text.len());
        for (i, p) in site.drop_text.iter().enumerate() {
            let anchored = format!("(?i)^(?:{p})$");
            if let Err(e) = regex::Regex::new(&anchored) {
                return Err(ExtractError::BadRule {
                    key: format!("drop_text[{i}]"),
                    reason: e.to_string(),
                });
            }
            site_patterns.push(anchored);
        }
        let site = RegexSet::new(site_patterns).map_err(|e| ExtractError::BadRule {
            key: "drop_text".into(),
            reason: e.to_string(),
        })?;
        Ok(CruftRules {
            labels: LABELS.iter().copied().collect(),
            block: compile(BLOCK_PATTERNS),
            short: compile(SHORT_PATTERNS),
            caption: compile(CAPTION_PATTERNS),
            box_heading: compile(BOX_HEADING_PATTERNS),
            site,
        })
    }

    /// Whether a whole block (paragraph, line) of text is boilerplate and must be dropped.
    pub fn is_cruft_text(&self, text: &str) -> bool {
        let text = text.trim();
        if text.is_empty() {
            return true;
        }
        if self.site.is_match(text) {
            return true;
        }
        // Every built-in rule is about short blocks: a long paragraph is prose.
        if text.len() > 4 * LONGEST_CRUFT {
            return false;
        }
        let chars = text.chars().count();
        if chars > LONGEST_CRUFT {
            return false;
        }
        if chars <= 80 {
            let label = normalize_label(text);
            if label.is_empty() || self.labels.contains(label.as_str()) {
                return true;
            }
        }
        if self.block.is_match(text) {
            return true;
        }
        chars <= SHORT_BLOCK && self.short.is_match(text)
    }

    /// Whether a block of text is a photo caption or credit ("Photo: …", "Credit: …").
    pub fn is_caption(&self, text: &str) -> bool {
        let text = text.trim();
        !text.is_empty()
            && text.len() <= 4 * CAPTION_MAX
            && text.chars().count() <= CAPTION_MAX
            && self.caption.is_match(text)
    }

    /// Whether a heading makes the small box it opens boilerplate (see [`BOX_HEADING_PATTERNS`]).
    pub fn is_cruft_box_heading(&self, text: &str) -> bool {
        let text = text.trim();
        text.len() <= 400 && self.box_heading.is_match(text)
    }

    /// Whether a line is a "read also" pointer: a [`READ_ALSO_LABELS`] label followed by a link
    /// that makes up most of the rest (`link_chars` of `chars` characters are inside links).
    pub fn is_read_also_line(&self, text: &str, chars: usize, link_chars: usize) -> bool {
        if chars > SHORT_BLOCK || link_chars == 0 {
            return false;
        }
        let lower = text.trim().to_lowercase();
        READ_ALSO_LABELS.iter().any(|label| {
            lower.strip_prefix(label).is_some_and(|rest| {
                if rest.chars().next().is_some_and(char::is_alphanumeric) {
                    return false;
                }
                let rest = rest.trim_start_matches(|c: char| {
                    c.is_whitespace() || matches!(c, ':' | '»' | '>' | '|' | '-' | '–' | '—')
                });
                !rest.is_empty() && link_chars * 5 >= rest.chars().count() * 4
            })
        })
    }

    /// Whether a short text is a heading that introduces the key points ("Key points", ...).
    pub fn is_bullet_heading(&self, text: &str) -> bool {
        text.len() <= 60 && BULLET_HEADINGS.contains(&normalize_label(text).as_str())
    }
}

/// Lower case with surrounding whitespace and punctuation (`:-–—|•·[]()*`) trimmed and inner
/// whitespace collapsed, so "— ADVERTISEMENT —" and "Advertisement:" compare equal.
pub fn normalize_label(text: &str) -> String {
    let trimmed = text.trim_matches(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ':' | '-'
                    | '–'
                    | '—'
                    | '|'
                    | '•'
                    | '·'
                    | '['
                    | ']'
                    | '('
                    | ')'
                    | '*'
                    | '>'
                    | '»'
                    | '«'
                    | '.'
            )
    });
    let mut out = String::with_capacity(trimmed.len());
    let mut space = false;
    for c in trimmed.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        }
    }
    // "Loading..." keeps its dots in the list; compare both spellings.
    out
}

/// Splits a class or id value into lower-case tokens on non-alphanumerics and camelCase
/// boundaries, calling `f` for each (`"relatedPosts ad-slot"` → related, posts, ad, slot).
pub(crate) fn for_each_token(value: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::with_capacity(32);
    let mut prev_lower = false;
    for c in value.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && prev_lower && !buf.is_empty() {
                f(&buf);
                buf.clear();
            }
            prev_lower = c.is_lowercase() || c.is_ascii_digit();
            if c.is_ascii() {
                buf.push(c.to_ascii_lowercase());
            } else {
                buf.extend(c.to_lowercase());
            }
        } else {
            if !buf.is_empty() {
                f(&buf);
                buf.clear();
            }
            prev_lower = false;
        }
    }
    if !buf.is_empty() {
        f(&buf);
    }
}

#[cfg(test)]
mod tests {
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
}
