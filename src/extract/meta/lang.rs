//! Languages: ISO 639-1 codes from declared tags and locales, and detection from the text when
//! nothing is declared (only when the detector is confident). Owns the code mapping; where a
//! declaration is found is `meta`'s.

/// An ISO 639-1 code from a language tag or locale (`en-GB`, `en_US`, `de`, `FR`); `None` for
/// anything that does not start with a two-letter primary subtag.
pub(crate) fn iso639_1(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_', ',', ';']).next()?.trim();
    (primary.len() == 2 && primary.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| primary.to_ascii_lowercase())
}

/// ISO 639-3 codes whatlang reports, paired with their ISO 639-1 codes.
const ISO639_3_TO_1: &[(&str, &str)] = &[
    ("afr", "af"),
    ("aka", "ak"),
    ("amh", "am"),
    ("ara", "ar"),
    ("aze", "az"),
    ("bel", "be"),
    ("ben", "bn"),
    ("bul", "bg"),
    ("cat", "ca"),
    ("ces", "cs"),
    ("cmn", "zh"),
    ("dan", "da"),
    ("deu", "de"),
    ("ell", "el"),
    ("eng", "en"),
    ("epo", "eo"),
    ("est", "et"),
    ("fin", "fi"),
    ("fra", "fr"),
    ("guj", "gu"),
    ("heb", "he"),
    ("hin", "hi"),
    ("hrv", "hr"),
    ("hun", "hu"),
    ("hye", "hy"),
    ("ind", "id"),
    ("ita", "it"),
    ("jav", "jv"),
    ("jpn", "ja"),
    ("kan", "kn"),
    ("kat", "ka"),
    ("khm", "km"),
    ("kor", "ko"),
    ("lat", "la"),
    ("lav", "lv"),
    ("lit", "lt"),
    ("mal", "ml"),
    ("mar", "mr"),
    ("mkd", "mk"),
    ("mya", "my"),
    ("nep", "ne"),
    ("nld", "nl"),
    ("nob", "nb"),
    ("ori", "or"),
    ("pan", "pa"),
    ("pes", "fa"),
    ("pol", "pl"),
    ("por", "pt"),
    ("ron", "ro"),
    ("rus", "ru"),
    ("sin", "si"),
    ("slk", "sk"),
    ("slv", "sl"),
    ("sna", "sn"),
    ("spa", "es"),
    ("srp", "sr"),
    ("swe", "sv"),
    ("tam", "ta"),
    ("tel", "te"),
    ("tgl", "tl"),
    ("tha", "th"),
    ("tuk", "tk"),
    ("tur", "tr"),
    ("ukr", "uk"),
    ("urd", "ur"),
    ("uzb", "uz"),
    ("vie", "vi"),
    ("yid", "yi"),
    ("zul", "zu"),
];

/// The language of a text by detection, only when the detector is confident: a wrong language
/// tag is worse than none (readers pick fonts and hyphenation by it).
pub(crate) fn detect_language(text: &str) -> Option<String> {
    // A paragraph or two is plenty for a confident answer and keeps detection cheap.
    let sample = match text.char_indices().nth(1000) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    let info = whatlang::detect(sample)?;
    if !info.is_reliable() {
        return None;
    }
    let code = info.lang().code();
    ISO639_3_TO_1
        .iter()
        .find(|(three, _)| *three == code)
        .map(|(_, two)| (*two).to_owned())
}
