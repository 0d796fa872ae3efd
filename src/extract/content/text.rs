//! Reading text nodes: counting their visible characters, and appending them with whitespace
//! collapsed and invisible characters dropped. Runs on every text node of every page (and again
//! for the chosen body), so ASCII is measured eight bytes at a time and copied a piece at a time
//! rather than char by char; the results are exactly those of the char-by-char definitions.

/// ASCII whitespace as `char::is_whitespace` has it: tab to carriage return, and space.
fn is_white(b: u8) -> bool {
    (b == b' ') | (b.wrapping_sub(b'\t') <= b'\r' - b'\t')
}

/// Zero-width characters a page may hold inside words: soft hyphens, zero-width spaces, word
/// joiners, byte-order marks.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}')
}

/// Counts visible characters (whitespace runs as one) and commas of a text node.
pub(super) fn measure(s: &str) -> (u32, u32) {
    let bytes = s.as_bytes();
    let (mut n, mut commas) = (0u32, 0u32);
    // Whether the last character was whitespace (the start counts as such).
    let mut ws = true;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8).and_then(Ascii8::of) {
            let (visible, word_commas) = word.measure(ws);
            n += visible;
            commas += word_commas;
            ws = word.ends_white();
            i += 8;
            continue;
        }
        let c = s[i..].chars().next().unwrap_or(' ');
        i += c.len_utf8();
        if c.is_whitespace() {
            if !ws {
                n += 1;
            }
            ws = true;
        } else {
            n += 1;
            ws = false;
            if matches!(c, ',' | '，' | '、' | '،') {
                commas += 1;
            }
        }
    }
    (n, commas)
}

/// Eight ASCII bytes read as one word, measured together: a mask with the high bit of each
/// whitespace byte (and of each comma) set, then population counts.
struct Ascii8 {
    white: u64,
    commas: u64,
}

impl Ascii8 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;

    /// The word of eight bytes, when they are all ASCII.
    fn of(bytes: &[u8]) -> Option<Ascii8> {
        let w = u64::from_le_bytes(bytes.try_into().ok()?);
        if w & Self::HIGH != 0 {
            return None;
        }
        let splat = |b: u8| u64::from_le_bytes([b; 8]);
        // Per byte, without carries between bytes (every byte is below 0x80): a high bit from
        // 9 (tab) on, and one from 14 (past carriage return) on.
        let from_tab = w + splat(0x80 - b'\t');
        let past_cr = w + splat(0x80 - (b'\r' + 1));
        let controls = from_tab & !past_cr & Self::HIGH;
        Some(Ascii8 {
            white: Self::zero_bytes(w ^ splat(b' ')) | controls,
            commas: Self::zero_bytes(w ^ splat(b',')),
        })
    }

    /// The high bit of each byte of `x` that is zero (exact when no byte has its high bit set).
    fn zero_bytes(x: u64) -> u64 {
        !(((x & Self::LOW) + Self::LOW) | x | Self::LOW)
    }

    /// Visible characters and commas, `ws` saying whether whitespace came right before: every
    /// byte counts but whitespace right after whitespace.
    fn measure(&self, ws: bool) -> (u32, u32) {
        // The little-endian word has its first byte lowest: shifted up a byte, each byte holds
        // the flag of the one before it.
        let before = (self.white << 8) | if ws { 0x80 } else { 0 };
        let repeated = (self.white & before).count_ones();
        (8 - repeated, self.commas.count_ones())
    }

    fn ends_white(&self) -> bool {
        self.white >> 63 != 0
    }
}

/// Appends `s` with whitespace runs collapsed to one space; invisible characters (soft hyphens,
/// zero-width spaces, word joiners, byte-order marks) are dropped, so that plain text reads and
/// matches as the page shows it. `space`: whitespace is pending before the next word.
pub(super) fn push_collapsed(out: &mut String, space: &mut bool, s: &str) {
    let mut pieces = Pieces::new(s, true);
    while let Some(piece) = pieces.next() {
        if pieces.white_before {
            *space = true;
        }
        if *space && !out.is_empty() {
            out.push(' ');
        }
        *space = false;
        out.push_str(piece);
    }
    if pieces.white_before {
        *space = true;
    }
}

/// The pieces of a text between its whitespace, a lone space between two words kept inside a
/// piece (`"a b\n c  d"` → `a b`, `c`, `d`): collapsing the whitespace joins the pieces with one
/// space, so each is copied whole rather than word by word. With `drop_invisible`, invisible
/// characters also end a piece and are left out (without making a space).
pub(super) struct Pieces<'s> {
    s: &'s str,
    next: usize,
    drop_invisible: bool,
    /// Whitespace came before the piece last returned (after the last one, once exhausted).
    pub(super) white_before: bool,
}

/// What one character is to [`Pieces`].
enum Kind {
    Word,
    White,
    Invisible,
}

impl<'s> Pieces<'s> {
    pub(super) fn new(s: &'s str, drop_invisible: bool) -> Self {
        Pieces {
            s,
            next: 0,
            drop_invisible,
            white_before: false,
        }
    }

    /// The kind and byte length of the character at `i`.
    fn kind(&self, i: usize) -> (Kind, usize) {
        let b = self.s.as_bytes()[i];
        if b.is_ascii() {
            return (if is_white(b) { Kind::White } else { Kind::Word }, 1);
        }
        let c = self.s[i..].chars().next().unwrap_or(' ');
        let kind = if c.is_whitespace() {
            Kind::White
        } else if self.drop_invisible && is_invisible(c) {
            Kind::Invisible
        } else {
            Kind::Word
        };
        (kind, c.len_utf8())
    }
}

impl<'s> Iterator for Pieces<'s> {
    type Item = &'s str;
    fn next(&mut self) -> Option<&'s str> {
        let b = self.s.as_bytes();
        let mut i = self.next;
        self.white_before = false;
        // Skip to the next word character.
        let start = loop {
            if i == b.len() {
                self.next = i;
                return None;
            }
            match self.kind(i) {
                (Kind::Word, _) => break i,
                (Kind::White, len) => {
                    self.white_before = true;
                    i += len;
                }
                (Kind::Invisible, len) => i += len,
            }
        };
        while i < b.len() {
            let c = b[i];
            if c.is_ascii() {
                if !is_white(c) {
                    i += 1;
                    continue;
                }
                // A lone space before an ASCII word character stays inside the piece.
                if c == b' ' && b.get(i + 1).is_some_and(|&n| n.is_ascii() && !is_white(n)) {
                    i += 2;
                    continue;
                }
                break;
            }
            match self.kind(i) {
                (Kind::Word, len) => i += len,
                _ => break,
            }
        }
        self.next = i;
        Some(&self.s[start..i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `measure` as first written: char by char.
    fn measure_chars(s: &str) -> (u32, u32) {
        let (mut n, mut commas, mut ws) = (0, 0, true);
        for c in s.chars() {
            if c.is_whitespace() {
                n += u32::from(!ws);
                ws = true;
            } else {
                n += 1;
                ws = false;
                commas += u32::from(matches!(c, ',' | '，' | '、' | '،'));
            }
        }
        (n, commas)
    }

    #[test]
    fn measuring_by_runs_is_measuring_by_chars() {
        let parts = [
            "",
            " ",
            "a",
            ",",
            "  ",
            "\t\n",
            "word, word",
            "’",
            "\u{a0}",
            "，",
            "\u{AD}",
            "é",
            "\x0b",
            "a long run of plain ascii text, past sixteen bytes",
            "\r\n\t\x0c\x0e\x1f,8",
            "1234567",
        ];
        for a in parts {
            for b in parts {
                for c in parts {
                    let s = format!("{a}{b}{c}");
                    assert_eq!(measure(&s), measure_chars(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn pieces_keep_or_drop_invisible_characters() {
        fn all(s: &str, drop: bool) -> Vec<&str> {
            Pieces::new(s, drop).collect()
        }
        assert_eq!(all("a b\n c  d ", true), ["a b", "c", "d"]);
        assert_eq!(
            all("soft\u{AD}hyphen é è", true),
            ["soft", "hyphen", "é", "è"]
        );
        assert_eq!(all("soft\u{AD}hyphen", false), ["soft\u{AD}hyphen"]);
        assert_eq!(all(" \u{a0}x", true), ["x"]);
    }
}
