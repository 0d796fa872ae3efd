//! Repeated blocks: which later copies of a body block go. A template prints some text twice (a
//! chart drawn once per screen size, a teaser above the story that the story then opens with, a
//! paragraph pasted twice); an author repeats a line on purpose (a refrain, the same value in two
//! table rows, the same sentence closing two sections). Owns that decision only; the blocks are
//! compared by a caller-made key (text with case and punctuation folded away).

use std::collections::HashMap;

/// Characters above which a copy in the same box as its original is always the author's (a long
/// passage quoted twice, filler text in a layout test), wherever it stands.
const LONG_COPY: usize = 300;

/// For each block, whether it is a template copy of an earlier one and goes. `keys` has one entry
/// per block (`None`: not compared, e.g. a figure, and not counted as a neighbour either), `chars`
/// its length; `sections` (when known) names the box each block came from.
///
/// A copy goes when it directly follows its original (a paragraph pasted twice), when it is part
/// of a run of copies in the same order as the originals (a second rendering of a chart or a
/// list), or when it repeats the body's opening block from another box (a teaser the story opens
/// with again). A lone copy further on is the author's and stays, and so does a long one in its
/// original's box.
pub(crate) fn template_copies(
    keys: &[Option<u64>],
    chars: &[usize],
    sections: Option<&[u32]>,
) -> Vec<bool> {
    // Positions of the compared blocks; neighbours are taken among them.
    let text: Vec<usize> = (0..keys.len()).filter(|&i| keys[i].is_some()).collect();
    let mut first_of: HashMap<u64, usize> = HashMap::with_capacity(text.len());
    // For each compared block (by its rank in `text`), the rank of its original when it repeats one.
    let original: Vec<Option<usize>> = text
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let key = keys[i].expect("compared block");
            match first_of.get(&key) {
                Some(&r) => Some(r),
                None => {
                    first_of.insert(key, rank);
                    None
                }
            }
        })
        .collect();
    let mut out = vec![false; keys.len()];
    for (rank, &i) in text.iter().enumerate() {
        let Some(orig) = original[rank] else {
            continue;
        };
        let pasted = rank > 0 && keys[text[rank - 1]] == keys[i];
        let run = (rank > 0 && orig > 0 && original[rank - 1] == Some(orig - 1))
            || original.get(rank + 1).copied().flatten() == Some(orig + 1);
        let same_box = sections.is_none_or(|s| s[text[orig]] == s[i]);
        let teaser = orig == 0 && !same_box;
        let authors = same_box && chars[i] > LONG_COPY;
        out[i] = (pasted || run || teaser) && !authors;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::template_copies;

    fn keys(s: &str) -> Vec<Option<u64>> {
        s.chars().map(|c| (c != '_').then_some(c as u64)).collect()
    }

    fn dropped(s: &str, sections: Option<&[u32]>) -> String {
        // Lower case stands for a long block.
        let chars: Vec<usize> = s
            .chars()
            .map(|c| if c.is_lowercase() { 400 } else { 80 })
            .collect();
        let mask = template_copies(&keys(&s.to_uppercase()), &chars, sections);
        s.chars()
            .zip(mask)
            .map(|(c, d)| if d { '-' } else { c })
            .collect()
    }

    #[test]
    fn a_lone_copy_further_on_stays() {
        // A refrain closing two sections, a value in two table rows.
        assert_eq!(dropped("ABXCDX", None), "ABXCDX");
        assert_eq!(dropped("XAXBX", Some(&[1, 1, 1, 1, 1])), "XAXBX");
    }

    #[test]
    fn a_block_pasted_twice_goes_even_across_a_figure() {
        assert_eq!(dropped("AXXB", None), "AX-B");
        assert_eq!(dropped("AX_XB", None), "AX_-B");
        assert_eq!(dropped("XXX", None), "X--");
    }

    #[test]
    fn a_second_rendering_of_a_run_goes() {
        assert_eq!(dropped("ABCDBCE", None), "ABCD--E");
        assert_eq!(dropped("PQRSTQR", None), "PQRST--");
    }

    #[test]
    fn a_long_copy_in_its_originals_box_stays() {
        assert_eq!(dropped("xxBC", None), "xxBC");
        assert_eq!(dropped("xxBC", Some(&[1, 1, 1, 1])), "xxBC");
        assert_eq!(dropped("xxBC", Some(&[1, 2, 2, 2])), "x-BC");
    }

    #[test]
    fn a_teaser_the_story_opens_with_again_goes_only_from_another_box() {
        assert_eq!(dropped("TBTC", Some(&[1, 2, 2, 2])), "TB-C");
        assert_eq!(dropped("TBTC", Some(&[2, 2, 2, 2])), "TBTC");
        assert_eq!(dropped("TBTC", None), "TBTC");
    }
}
