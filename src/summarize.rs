//! Summaries: the article's key points and its lead paragraph, as plain text. Pure: an article in,
//! a summary out. Choosing the lead is the only judgement made here: the first paragraph that reads
//! as prose, skipping bylines, datelines and other short fragments the body may still start with,
//! and the page's own summary line (its dek) when the body repeats it.

use serde::Serialize;

use crate::extract::{Article, dedupe_key, is_real_paragraph};

/// Below this many words a lead is extended with the following paragraph in a bullet-less summary.
const SHORT_LEAD_WORDS: usize = 25;

/// What a reader sees first: key points, then the lead.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub bullets: Vec<String>,
    pub lead: String,
    /// Plain text: bullets one per line ("• "), a blank line, the lead. Without bullets, the lead
    /// alone, extended with the next paragraph when the lead is short.
    pub text: String,
}

/// Builds the summary of an article.
pub fn summarize(article: &Article) -> Summary {
    let paragraphs = &article.paragraphs;
    let dek = article.dek.as_deref().map(dedupe_key);
    let not_dek = |p: &str| dek.as_ref().is_none_or(|d| *d != dedupe_key(p));
    let lead_at = paragraphs
        .iter()
        .position(|p| is_real_paragraph(p) && not_dek(p))
        .or_else(|| {
            paragraphs
                .iter()
                .position(|p| !p.trim().is_empty() && not_dek(p))
        });
    let lead = lead_at
        .map(|i| paragraphs[i].trim().to_owned())
        .unwrap_or_default();

    let mut text = String::new();
    if article.bullets.is_empty() {
        text.push_str(&lead);
        if let Some(i) = lead_at
            && crate::extract::word_count(&lead) < SHORT_LEAD_WORDS
            && let Some(next) = paragraphs[i + 1..].iter().find(|p| is_real_paragraph(p))
        {
            text.push_str("\n\n");
            text.push_str(next.trim());
        }
    } else {
        for b in &article.bullets {
            text.push_str("• ");
            text.push_str(b.trim());
            text.push('\n');
        }
        if !lead.is_empty() {
            text.push('\n');
            text.push_str(&lead);
        } else {
            text.truncate(text.trim_end().len());
        }
    }
    Summary {
        bullets: article.bullets.clone(),
        lead,
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(bullets: &[&str], paragraphs: &[&str]) -> Article {
        Article {
            bullets: bullets.iter().map(|s| s.to_string()).collect(),
            paragraphs: paragraphs.iter().map(|s| s.to_string()).collect(),
            text: paragraphs.join("\n\n"),
            ..Article::default()
        }
    }

    const LONG_LEAD: &str = "The harbour authority said on Monday that the northern pier would close for six months from April while engineers replace the timber supports, which were found to be rotting during a routine inspection last winter.";

    #[test]
    fn bullets_then_blank_line_then_lead() {
        let a = article(
            &["Pier closes in April", "Repairs take six months"],
            &[
                LONG_LEAD,
                "Second paragraph of the story goes here, with more detail.",
            ],
        );
        let s = summarize(&a);
        assert_eq!(s.lead, LONG_LEAD);
        assert_eq!(
            s.text,
            format!("• Pier closes in April\n• Repairs take six months\n\n{LONG_LEAD}")
        );
        assert_eq!(s.bullets, a.bullets);
    }

    #[test]
    fn bylines_datelines_and_captions_are_not_leads() {
        let a = article(
            &[],
            &[
                "By Ana Ruiz",
                "Updated 10:42 GMT, 18 March",
                "LISBON",
                "Fishermen unload the morning catch. Photo: Rui Santos / Wire",
                LONG_LEAD,
            ],
        );
        assert_eq!(summarize(&a).lead, LONG_LEAD);
    }

    #[test]
    fn an_unpunctuated_standfirst_is_not_the_lead() {
        let a = article(
            &[],
            &[
                "Councillors back a plan to restore the old light after a decade in the dark",
                LONG_LEAD,
            ],
        );
        assert_eq!(summarize(&a).lead, LONG_LEAD);
    }

    #[test]
    fn the_dek_is_never_the_lead() {
        let dek = "Three new routes will run until 3 a.m. on weekends from June, in a trial.";
        let mut a = article(&[], &[dek, LONG_LEAD]);
        a.dek = Some(format!("  {dek} "));
        assert_eq!(summarize(&a).lead, LONG_LEAD);
        a.dek = None;
        assert_eq!(summarize(&a).lead, dek);
    }

    #[test]
    fn short_lead_is_extended_only_without_bullets() {
        let short = "The pier will close in April for repairs.";
        let next =
            "Engineers found rotting timber supports during a routine inspection last winter.";
        let a = article(&[], &[short, next, "A third paragraph that is not used."]);
        assert_eq!(summarize(&a).text, format!("{short}\n\n{next}"));

        let long = article(&[], &[LONG_LEAD, next]);
        assert_eq!(summarize(&long).text, LONG_LEAD);

        let with_bullets = article(&["Pier closes"], &[short, next]);
        assert_eq!(
            summarize(&with_bullets).text,
            format!("• Pier closes\n\n{short}")
        );
    }

    #[test]
    fn fragments_only_fall_back_to_the_first_paragraph() {
        let a = article(&[], &["Short note", "Another"]);
        let s = summarize(&a);
        assert_eq!(s.lead, "Short note");
        assert_eq!(s.text, "Short note");
    }

    #[test]
    fn empty_article_gives_empty_summary_without_trailing_blank_lines() {
        assert_eq!(summarize(&Article::default()), Summary::default());
        let s = summarize(&article(&["Only a point"], &[]));
        assert_eq!(s.text, "• Only a point");
    }

    #[test]
    fn cjk_paragraphs_count_characters_as_words() {
        let zh = "市政府周一宣布，北码头将从四月起关闭六个月，以更换在去年冬天例行检查中发现腐烂的木质支撑结构。";
        let a = article(&[], &["记者 王明", zh]);
        assert_eq!(summarize(&a).lead, zh);
    }

    /// The threshold is exactly 25 words: a 24-word lead is extended with the next paragraph, a
    /// 25-word lead stands alone.
    #[test]
    fn a_lead_under_25_words_is_extended_and_one_of_25_is_not() {
        let lead_of = |n: usize| {
            let mut words: Vec<String> = (0..n).map(|i| format!("word{i}")).collect();
            words[0] = "The".into();
            format!("{}.", words.join(" "))
        };
        let next =
            "The second paragraph explains what the first one announced, in a full sentence.";
        let short = summarize(&article(&[], &[&lead_of(24), next]));
        assert_eq!(short.text, format!("{}\n\n{next}", lead_of(24)));
        let enough = summarize(&article(&[], &[&lead_of(25), next]));
        assert_eq!(enough.text, lead_of(25));
    }
}
