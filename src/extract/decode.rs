//! Decoding: raw page bytes in any common charset to UTF-8 text, and the early refusals (empty
//! input, binary data) that keep the rest of extraction from working on garbage.
//!
//! The charset is taken, in this order, from a byte-order mark, the HTTP `Content-Type` charset,
//! a `<meta charset>` / `http-equiv` declaration in the first bytes, and finally statistical
//! detection (chardetng). This is the order browsers use, so pages decode the way their authors
//! saw them. This module does not parse HTML; it only decides how to turn bytes into text.

use std::borrow::Cow;
use std::sync::LazyLock;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;

use super::ExtractError;

/// How many leading bytes the `<meta charset>` prescan looks at. The HTML standard says 1024; many
/// real pages put a long `<head>` of scripts first, so we look further, as some browsers do.
const PRESCAN_BYTES: usize = 4096;

/// How many leading bytes the binary sniffing looks at.
const SNIFF_BYTES: usize = 4096;

/// Which rule chose the encoding (useful in tests and diagnostics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Bom,
    ContentType,
    Meta,
    Detected,
}

/// Decoded text plus how its encoding was chosen. The text borrows the page's bytes when they
/// already are it (UTF-8, or ASCII in an ASCII-compatible encoding).
#[derive(Debug, Clone)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    pub source: Source,
}

/// `charset=` inside a `<meta …>` tag: covers both `<meta charset="x">` and
/// `<meta http-equiv="Content-Type" content="text/html; charset=x">`.
static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#).expect("valid regex")
});

/// `charset=` inside a Content-Type header value.
static HEADER_CHARSET: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"(?i)charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#).expect("valid regex")
});

/// Decodes a page body to UTF-8. `content_type` is the HTTP header as sent; `url_host` helps the
/// detector guess regional legacy encodings (a `.ru` page is more likely windows-1251).
pub fn decode<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    url_host: Option<&str>,
) -> Result<Decoded<'a>, ExtractError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ExtractError::Empty);
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(body) {
        // A BOM is authoritative, and it also tells us UTF-16 NULs are text, not binary.
        let (text, _) = encoding.decode_without_bom_handling(&body[bom_len..]);
        return finish(text, encoding, Source::Bom);
    }
    if let Some(kind) = sniff_binary(body) {
        return Err(ExtractError::Binary(kind.to_string()));
    }
    let declared = if let Some(enc) = content_type.and_then(header_charset) {
        Some((enc, Source::ContentType))
    } else {
        meta_charset(body).map(|enc| (enc, Source::Meta))
    };
    // Checked once: most pages are UTF-8, and then this is also the decoded text.
    let utf8 = std::str::from_utf8(body).ok();
    let (encoding, source) = match declared {
        Some((enc, source)) if declaration_fits(enc, body, utf8.is_some()) => (enc, source),
        _ => (detect(body, utf8.is_some(), url_host), Source::Detected),
    };
    let text = match utf8 {
        Some(text) if encoding == UTF_8 => Cow::Borrowed(text),
        _ => encoding.decode_without_bom_handling(body).0,
    };
    finish(text, encoding, source)
}

fn finish<'a>(
    text: Cow<'a, str>,
    encoding: &'static Encoding,
    source: Source,
) -> Result<Decoded<'a>, ExtractError> {
    if text.trim().is_empty() {
        return Err(ExtractError::Empty);
    }
    Ok(Decoded {
        text,
        encoding,
        source,
    })
}

/// Whether a declared charset can be true of these bytes. Declarations lie (a server-wide
/// `charset=iso-8859-1` over pages saved as UTF-8, or `utf-8` over legacy bytes), and believing
/// the lie turns every accented letter into mojibake or U+FFFD. Two checks are certain enough to
/// overrule a declaration: bytes declared UTF-8 that are not valid UTF-8, and bytes declared in
/// another encoding that are valid UTF-8 with non-ASCII in them (legacy text is practically
/// never valid UTF-8 by accident). Only the UTF-8 well-formedness of the body (`valid_utf8`) is
/// looked at.
fn declaration_fits(declared: &'static Encoding, body: &[u8], valid_utf8: bool) -> bool {
    if declared == UTF_8 {
        // A UTF-8 page with a stray byte or two (a pasted legacy snippet) is still UTF-8: only
        // when broken sequences outnumber well-formed multi-byte characters is it another charset.
        valid_utf8 || {
            let (mut good, mut bad) = (0usize, 0usize);
            for chunk in body.utf8_chunks() {
                good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
                bad += usize::from(!chunk.invalid().is_empty());
            }
            good >= bad
        }
    } else {
        !valid_utf8 || body.is_ascii()
    }
}

/// The encoding named by a Content-Type header's `charset=` parameter, if it is one we know.
pub fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    let label = HEADER_CHARSET.captures(content_type)?.get(1)?.as_str();
    Encoding::for_label(label.as_bytes()).map(html_override)
}

/// The encoding declared by a `<meta>` tag near the top of the document.
pub fn meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(PRESCAN_BYTES)];
    let label = META_CHARSET.captures(head)?.get(1)?.as_bytes();
    Encoding::for_label(label).map(html_override)
}

/// The HTML standard's overrides for declared encodings: a document that declares UTF-16 in ASCII
/// cannot really be UTF-16, and `x-user-defined` means windows-1252.
fn html_override(enc: &'static Encoding) -> &'static Encoding {
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        UTF_8
    } else if enc == encoding_rs::X_USER_DEFINED {
        WINDOWS_1252
    } else {
        enc
    }
}

/// Statistical detection for undeclared pages. Valid UTF-8 wins outright: legacy 8-bit text is
/// practically never valid UTF-8 by accident, and the check is far cheaper than the detector.
fn detect(body: &[u8], valid_utf8: bool, url_host: Option<&str>) -> &'static Encoding {
    if valid_utf8 {
        return UTF_8;
    }
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(body, true);
    let tld = url_host
        .and_then(|h| h.rsplit('.').next())
        .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(|t| t.to_ascii_lowercase());
    detector.guess(tld.as_deref().map(str::as_bytes), Utf8Detection::Allow)
}

/// Recognises data that is not a text page: well-known file signatures, NUL bytes, or a start that
/// is mostly control characters. Returns a short name of what it looks like.
pub fn sniff_binary(body: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF-", "PDF"),
        (b"\x89PNG\r\n\x1a\n", "PNG"),
        (b"\xFF\xD8\xFF", "JPEG"),
        (b"GIF87a", "GIF"),
        (b"GIF89a", "GIF"),
        (b"PK\x03\x04", "ZIP"),
        (b"\x1F\x8B", "GZIP"),
        (b"BZh", "BZIP2"),
        (b"\xFD7zXZ\x00", "XZ"),
        (b"\x28\xB5\x2F\xFD", "ZSTD"),
        (b"7z\xBC\xAF\x27\x1C", "7Z"),
        (b"\x7FELF", "ELF"),
        (b"MZ", "EXE"),
        (b"\x00asm", "WASM"),
        (b"OggS", "OGG"),
        (b"ID3", "MP3"),
        (b"fLaC", "FLAC"),
        (b"\x1A\x45\xDF\xA3", "MATROSKA"),
        (b"wOFF", "WOFF"),
        (b"wOF2", "WOFF2"),
        (b"SQLite format 3\x00", "SQLITE"),
    ];
    for (magic, kind) in MAGIC {
        if body.starts_with(magic) {
            // "MZ" and "BZh" are short enough to begin a real text; require more evidence.
            if (*kind == "EXE" || *kind == "BZIP2")
                && !body.iter().take(SNIFF_BYTES).any(|&b| b == 0)
            {
                continue;
            }
            return Some(kind);
        }
    }
    if body.len() >= 12 && &body[..4] == b"RIFF" && &body[8..12] == b"WEBP" {
        return Some("WEBP");
    }
    if body.len() >= 12 && &body[4..8] == b"ftyp" {
        return Some("MP4");
    }
    let head = &body[..body.len().min(SNIFF_BYTES)];
    if head.contains(&0) {
        return Some("NUL bytes");
    }
    // Control characters other than tab, newline, form feed and carriage return never appear in
    // real text in any of the encodings we decode; a start dense with them is some binary format.
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    if controls * 10 > head.len() {
        return Some("control characters");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lying_declaration_is_overruled_by_the_bytes() {
        // Declared Latin-1, sent as UTF-8.
        let d = dec(
            "<p>Caf\u{e9} cr\u{e8}me</p>".as_bytes(),
            Some("text/html; charset=iso-8859-1"),
        );
        assert!(d.text.contains("Caf\u{e9} cr\u{e8}me"), "{}", d.text);
        assert_eq!(d.source, Source::Detected);
        // Declared UTF-8 (header and meta), sent as windows-1252.
        let latin = b"<meta charset=utf-8><p>Caf\xe9 cr\xe8me, na\xefve fa\xe7ade</p>";
        let d = dec(latin, Some("text/html; charset=utf-8"));
        assert!(d.text.contains("Caf\u{e9} cr\u{e8}me"), "{}", d.text);
        assert!(!d.text.contains('\u{fffd}'));
        // A UTF-8 page with one stray byte stays UTF-8 (one replacement character, not mojibake).
        let mut bytes = "<p>Caf\u{e9} \u{2014} cr\u{e8}me</p><p>na\u{ef}ve</p>"
            .as_bytes()
            .to_vec();
        bytes.insert(bytes.len() - 14, 0xff);
        let d = dec(&bytes, Some("text/html; charset=utf-8"));
        assert_eq!(d.source, Source::ContentType);
        assert!(
            d.text.contains("Caf\u{e9} \u{2014} cr\u{e8}me"),
            "{}",
            d.text
        );
        // An honest declaration is still taken.
        let d = dec(b"<p>Caf\xe9</p>", Some("text/html; charset=iso-8859-1"));
        assert_eq!(d.source, Source::ContentType);
    }

    fn dec<'a>(body: &'a [u8], ct: Option<&str>) -> Decoded<'a> {
        decode(body, ct, None).expect("decodes")
    }

    #[test]
    fn empty_and_blank_input_is_empty() {
        assert!(matches!(decode(b"", None, None), Err(ExtractError::Empty)));
        assert!(matches!(
            decode(b" \n\t\r\n", None, None),
            Err(ExtractError::Empty)
        ));
        // A lone BOM is still nothing.
        assert!(matches!(
            decode(b"\xEF\xBB\xBF  ", None, None),
            Err(ExtractError::Empty)
        ));
    }

    #[test]
    fn binary_signatures_are_refused_with_their_kind() {
        let cases: &[(&[u8], &str)] = &[
            (b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj", "PDF"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
            (b"\xFF\xD8\xFF\xE0\x00\x10JFIF", "JPEG"),
            (b"PK\x03\x04\x14\x00\x00\x00", "ZIP"),
            (b"\x1F\x8B\x08\x00\x00\x00\x00\x00", "GZIP"),
            (b"<html>\x00\x01\x02</html>", "NUL bytes"),
            (
                b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f abc def",
                "control characters",
            ),
        ];
        for (body, kind) in cases {
            match decode(body, None, None) {
                Err(ExtractError::Binary(k)) => assert_eq!(&k, kind),
                other => panic!("{kind}: expected Binary, got {other:?}"),
            }
        }
    }

    #[test]
    fn text_starting_like_a_signature_is_not_binary() {
        assert_eq!(sniff_binary(b"MZ was the first thing she said."), None);
        assert_eq!(sniff_binary(b"BZh is not a word"), None);
    }

    #[test]
    fn bom_wins_over_every_declaration() {
        let mut body = b"\xEF\xBB\xBF<meta charset=windows-1252><p>".to_vec();
        body.extend_from_slice("café".as_bytes());
        let d = dec(&body, Some("text/html; charset=iso-8859-1"));
        assert_eq!(d.source, Source::Bom);
        assert!(d.text.ends_with("<p>café"), "{}", d.text);
        assert!(!d.text.starts_with('\u{FEFF}'));
    }

    #[test]
    fn utf16_with_bom_is_text_not_binary() {
        let mut body = vec![0xFF, 0xFE];
        for u in "<p>Grüße</p>".encode_utf16() {
            body.extend_from_slice(&u.to_le_bytes());
        }
        let d = dec(&body, None);
        assert_eq!(d.encoding, encoding_rs::UTF_16LE);
        assert_eq!(d.text, "<p>Grüße</p>");
    }

    #[test]
    fn content_type_charset_wins_over_meta() {
        // 0xE9 is é in windows-1252 and Latin-1; a meta claiming UTF-8 must lose to the header.
        let body = b"<meta charset=\"utf-8\"><p>caf\xE9</p>";
        let d = dec(body, Some("text/html; charset=ISO-8859-1"));
        assert_eq!(d.source, Source::ContentType);
        assert!(d.text.contains("café"));
    }

    #[test]
    fn meta_charset_and_http_equiv_are_found() {
        let d = dec(
            b"<html><head><meta charset='windows-1251'></head><p>\xCF\xF0\xE8\xE2\xE5\xF2</p>",
            None,
        );
        assert_eq!(d.source, Source::Meta);
        assert!(d.text.contains("Привет"), "{}", d.text);

        let d = dec(
            b"<head><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=Shift_JIS\"></head>\x93\xFA\x96\x7B",
            Some("text/html"),
        );
        assert_eq!(d.source, Source::Meta);
        assert!(d.text.contains("日本"), "{}", d.text);
    }

    #[test]
    fn valid_utf8_wins_over_a_stale_declaration() {
        let body = "<meta charset=\"gb2312\"><title>新电脑已可利用记忆自学</title>".as_bytes();
        let d = dec(body, None);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains("新电脑已可利用记忆自学"));
        let d = dec(
            "<p>café</p>".as_bytes(),
            Some("text/html; charset=ISO-8859-1"),
        );
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains("café"));
        // Pure ASCII keeps its declared (compatible) encoding.
        let d = dec(b"<meta charset=windows-1252><p>plain</p>", None);
        assert_eq!(d.source, Source::Meta);
    }

    #[test]
    fn text_that_is_already_the_bytes_is_borrowed() {
        let utf8 = "<meta charset=utf-8><p>Grüße</p>".as_bytes();
        assert!(matches!(dec(utf8, None).text, Cow::Borrowed(_)));
        let ascii = b"<meta charset=windows-1252><p>plain</p>";
        assert!(matches!(dec(ascii, None).text, Cow::Borrowed(_)));
        let latin = b"<meta charset=windows-1252><p>caf\xe9</p>";
        assert!(matches!(dec(latin, None).text, Cow::Owned(_)));
    }

    #[test]
    fn meta_declaring_utf16_means_utf8() {
        let d = dec("<meta charset=utf-16><p>naïve</p>".as_bytes(), None);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains("naïve"));
    }

    #[test]
    fn undeclared_pages_are_detected() {
        let d = dec("<p>Déjà vu, naïve café — “quoted”</p>".as_bytes(), None);
        assert_eq!(d.source, Source::Detected);
        assert_eq!(d.encoding, UTF_8);

        // windows-1252 French text with no declaration at all.
        let (bytes, _, _) = WINDOWS_1252.encode(
            "<p>Le président a déclaré que la réforme des retraites serait présentée à l'été, après une série de concertations.</p>",
        );
        let d = dec(&bytes, None);
        assert_eq!(d.source, Source::Detected);
        assert!(d.text.contains("président a déclaré"), "{}", d.text);
    }

    #[test]
    fn unknown_labels_fall_through_to_the_next_rule() {
        let d = dec(
            b"<meta charset=utf-8><p>x</p>",
            Some("text/html; charset=made-up"),
        );
        assert_eq!(d.source, Source::Meta);
    }
}
