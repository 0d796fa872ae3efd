//! The script data states of the HTML tokenizer, as far as they decide where a `<script>`
//! element's contents end: the plain state, the escaped state a `<!--` opens, and the
//! double-escaped state a `<script` inside it opens (where `</script>` does not end the element).

use super::{Scan, is_space};

#[derive(Clone, Copy, PartialEq)]
enum St {
    Data,
    Escaped,
    EscapedDash,
    EscapedDashDash,
    Double,
    DoubleDash,
    DoubleDashDash,
}

impl Scan<'_> {
    /// Where the `</script` that ends the contents starting at `from` begins (its `<`).
    pub(super) fn script_end(&self, from: usize) -> Option<usize> {
        let s = self.s;
        let mut i = from;
        let mut st = St::Data;
        loop {
            if st == St::Data {
                i += super::memchr(b'<', &s[i..])?;
            }
            let b = *s.get(i)?;
            i += 1;
            st = match (st, b) {
                (St::Data, _) => {
                    // `<` in script data: `</script` ends it, `<!--` escapes.
                    if self.closes_script(i) {
                        return Some(i - 1);
                    }
                    if s[i..].starts_with(b"!--") {
                        i += 3;
                        St::EscapedDashDash
                    } else {
                        St::Data
                    }
                }
                (St::Escaped | St::EscapedDash | St::EscapedDashDash, b'<') => {
                    if self.closes_script(i) {
                        return Some(i - 1);
                    }
                    match self.script_word(i) {
                        Some(end) => {
                            i = end;
                            St::Double
                        }
                        None => St::Escaped,
                    }
                }
                (St::Escaped, b'-') => St::EscapedDash,
                (St::EscapedDash | St::EscapedDashDash, b'-') => St::EscapedDashDash,
                (St::EscapedDashDash, b'>') => St::Data,
                (St::Escaped | St::EscapedDash | St::EscapedDashDash, _) => St::Escaped,
                (St::Double | St::DoubleDash | St::DoubleDashDash, b'<') => {
                    match self.script_word(i + 1).filter(|_| s.get(i) == Some(&b'/')) {
                        Some(end) => {
                            i = end;
                            St::Escaped
                        }
                        None => St::Double,
                    }
                }
                (St::Double, b'-') => St::DoubleDash,
                (St::DoubleDash | St::DoubleDashDash, b'-') => St::DoubleDashDash,
                (St::DoubleDashDash, b'>') => St::Data,
                (St::Double | St::DoubleDash | St::DoubleDashDash, _) => St::Double,
            };
        }
    }

    /// Whether `/script` and a tag-name end follow at `i` (just past a `<`).
    fn closes_script(&self, i: usize) -> bool {
        self.s.get(i) == Some(&b'/') && self.closes(i + 1, b"script")
    }

    /// When the letters at `i` spell `script` (any case) and a space, `/` or `>` follows: the
    /// position just past that following character.
    fn script_word(&self, i: usize) -> Option<usize> {
        let w = self.s.get(i..i + 6)?;
        let next = *self.s.get(i + 6)?;
        (w.eq_ignore_ascii_case(b"script") && (is_space(next) || next == b'/' || next == b'>'))
            .then_some(i + 7)
    }
}
