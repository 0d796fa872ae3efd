//! One compiled set of built-in phrase patterns that only answers "does any of them match?".
//!
//! `regex::RegexSet` compiles every set twice, forwards and backwards (the reverse automaton
//! finds where a match starts, which a yes/no question never needs), and its per-thread cache
//! holds search state for both. The cruft sets are large (Unicode `\w` and `.` under bounded
//! repeats make tens of thousands of automaton states), so the reverse half was two thirds of
//! their compiled size and about half of each thread's cache. This set keeps the forward half
//! only: the lazy DFA answers, and when it gives up (its cache cleared too often for too little
//! progress) the PikeVM over the same automaton answers instead. Both accept exactly what the
//! regex crate's engines accept, so matching is unchanged.
//!
//! The patterns that can only match at the start of a text (`^…`) are a set of their own,
//! searched anchored at the start: for most texts the automaton is dead after a few bytes, where
//! a search for them among the others would read every text to its end.
//!
//! The search caches (the lazy DFA's states, grown to what the texts needed: megabytes for the
//! largest set) are kept for reuse, one per thread that searched at once, until [`PhraseSet::release`] drops
//! them; the next search builds what it needs again.
//!
//! Owns: compiling a pattern list and the search caches. Does not own: the patterns.

use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA};
use regex_automata::nfa::thompson::pikevm::{Cache as VmCache, PikeVM};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::{Hir, Look};
use std::sync::Mutex;

/// A search cache of each engine, one per thread that searches at once.
struct Caches {
    dfa: DfaCache,
    vm: VmCache,
}

/// A compiled pattern set answering only whether any pattern matches somewhere in a text.
pub(super) struct PhraseSet {
    /// The patterns that can only match at the start of a text (`^…`), searched anchored there:
    /// the search ends as soon as no pattern can go on, instead of reading the whole text.
    anchored: Option<Engine>,
    /// The others, searched everywhere.
    floating: Option<Engine>,
    patterns: usize,
}

/// One automaton, its fallback, and how it is searched.
struct Engine {
    dfa: DFA,
    vm: PikeVM,
    anchored: Anchored,
    /// Caches not in use just now; a search takes one (or makes one) and puts it back.
    spare: Mutex<Vec<Caches>>,
}

impl std::fmt::Debug for PhraseSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhraseSet")
            .field("patterns", &self.patterns)
            .finish_non_exhaustive()
    }
}

/// Room for each thread's lazy-DFA states. The sets' bounded repeats (`.{0,80}`) make many states:
/// a small cache is cleared over and over and the search falls back to the much slower PikeVM.
/// The cache grows only as far as the texts need (about 5 MB for the largest set).
const DFA_CACHE: usize = 32 << 20;

impl PhraseSet {
    /// Compiles `patterns` (regex crate syntax); the error names what failed to compile.
    pub(super) fn new(patterns: &[String]) -> Result<Self, String> {
        let hirs = syntax::parse_many(patterns).map_err(|e| e.to_string())?;
        let (starts, floats): (Vec<Hir>, Vec<Hir>) = hirs
            .into_iter()
            .partition(|h| h.properties().look_set_prefix().contains(Look::Start));
        Ok(PhraseSet {
            anchored: Engine::new(&starts, Anchored::Yes)?,
            floating: Engine::new(&floats, Anchored::No)?,
            patterns: patterns.len(),
        })
    }

    /// Whether any pattern matches somewhere in `text`.
    pub(super) fn is_match(&self, text: &str) -> bool {
        [&self.anchored, &self.floating]
            .into_iter()
            .flatten()
            .any(|e| e.is_match(text))
    }

    /// Drops the caches not in use (a search running just now keeps its own).
    pub(super) fn release(&self) {
        for e in [&self.anchored, &self.floating].into_iter().flatten() {
            let spare = std::mem::take(&mut *e.spare.lock().unwrap_or_else(|p| p.into_inner()));
            drop(spare);
        }
    }
}

impl Engine {
    /// The engine of `hirs`, `None` when there are none.
    fn new(hirs: &[Hir], anchored: Anchored) -> Result<Option<Self>, String> {
        if hirs.is_empty() {
            return Ok(None);
        }
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().which_captures(WhichCaptures::None))
            .build_many_from_hir(hirs)
            .map_err(|e| e.to_string())?;
        // The settings of the regex crate's own lazy DFA: give up after three clears that each
        // made fewer than ten bytes of progress per state, rather than crawl.
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .cache_capacity(DFA_CACHE)
                    .minimum_cache_clear_count(Some(3))
                    .minimum_bytes_per_state(Some(10))
                    .unicode_word_boundary(true),
            )
            .build_from_nfa(nfa.clone())
            .map_err(|e| e.to_string())?;
        let vm = PikeVM::builder()
            .configure(PikeVM::config().match_kind(MatchKind::All))
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        Ok(Some(Engine {
            dfa,
            vm,
            anchored,
            spare: Mutex::new(Vec::new()),
        }))
    }

    fn is_match(&self, text: &str) -> bool {
        let input = Input::new(text).earliest(true).anchored(self.anchored);
        let spare = self.spare.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut caches = spare.unwrap_or_else(|| Caches {
            dfa: self.dfa.create_cache(),
            vm: self.vm.create_cache(),
        });
        let found = match self.dfa.try_search_fwd(&mut caches.dfa, &input) {
            Ok(found) => found.is_some(),
            Err(_) => self.vm.is_match(&mut caches.vm, input),
        };
        self.spare
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(caches);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_a_regex_set_does_and_again_after_release() {
        let patterns: Vec<String> = [
            r"(?i)^advertisement$",
            r"(?i)^why you can trust(?-u:\b).{0,60}$",
            r"(?i)(?-u:\b)(photo|foto)\s*/\s*\w[\w .'-]{1,40}$",
            r"(?i)^(read|listen) (in|on) (the|our) [\w]{0,20} ?app(?-u:\b)",
            // Anchored only in one branch, anchored in both, anchored at line starts.
            r"(?i)^sponsored|paid (post|content)$",
            r"(?i)(^gallery|^slideshow) \d+$",
            r"(?im)^more:$",
        ]
        .map(String::from)
        .to_vec();
        let texts = [
            "ADVERTISEMENT",
            "advertisement below",
            "Why you can trust our reviews",
            "Why you can trust our reviews, a very long explanation that goes on for longer than sixty characters",
            "The harbour at dawn. Photo / Ana Müller",
            "Fotografía / José",
            "Listen on the Ledger app now",
            "Listen on the Ledger application",
            "",
            "ünïcödé only",
            "Sponsored by the harbour board",
            "A story about sponsored content",
            "This is paid content",
            "Gallery 12",
            "The gallery 12",
            "first line\nMORE:",
        ];
        let set = PhraseSet::new(&patterns).unwrap();
        let reference = regex::RegexSet::new(&patterns).unwrap();
        for round in 0..2 {
            for text in texts {
                assert_eq!(
                    set.is_match(text),
                    reference.is_match(text),
                    "round {round}: {text:?}"
                );
            }
            set.release();
            for e in [&set.anchored, &set.floating].into_iter().flatten() {
                assert!(e.spare.lock().unwrap().is_empty());
            }
        }
        assert!(PhraseSet::new(&["(unclosed".to_string()]).is_err());
    }
}
