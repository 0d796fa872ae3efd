//! Summaries: the article's key points and its lead paragraph, as plain text.

use serde::Serialize;

use crate::extract::Article;

/// What a reader sees first: key points, then the lead.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Summary {
    pub bullets: Vec<String>,
    pub lead: String,
    /// Plain text: bullets one per line ("• "), a blank line, the lead.
    pub text: String,
}

/// Builds the summary of an article.
pub fn summarize(_article: &Article) -> Summary {
    Summary::default()
}
