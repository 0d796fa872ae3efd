//! `clearfeed bench DIR --ftr-rules-dir D`: the corpus scored with and without the site rules of
//! each page's host (chosen by the URL the corpus gives), on the pages a rule file covers and
//! on all pages. Owns the comparison; scoring is the benchmark's.

use std::time::Instant;

use super::{CorpusPage, PageScore, corpus_quality, score_page};
use crate::app::cli::BenchArgs;
use crate::extract::{Extractor, SiteRules, choose};
use crate::model::Page;
use crate::rules::RulesLibrary;

/// Prints the load line and `bench: rules …` with F1 without and with the rules.
pub(super) fn compare(name: &str, pages: &[CorpusPage], args: &BenchArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (library, report) =
        RulesLibrary::load(args.rules_dir.as_deref(), args.ftr_rules_dir.as_deref());
    println!(
        "{} ({} ms to load)",
        crate::rules::stats_line(&report),
        started.elapsed().as_millis()
    );
    let plain = Extractor::new(&SiteRules::default())?;
    let mut built: Vec<(SiteRules, Extractor)> = Vec::new();
    let (mut without, mut with, mut covered) = (Vec::new(), Vec::new(), Vec::new());
    let mut words = Vec::new();
    for (i, page) in pages.iter().enumerate() {
        let doc = Page::from_bytes(page.page.body.clone(), page.url.clone());
        let text = |x: &Extractor| x.article(&doc).ok().map(|a| a.text);
        let base = text(&plain);
        let chosen = choose(&library, &SiteRules::default(), page.url.as_ref());
        let ruled = if chosen.has_host_rules() {
            covered.push(i);
            let at = match built.iter().position(|(r, _)| *r == chosen.rules) {
                Some(at) => at,
                None => {
                    built.push((chosen.rules.clone(), Extractor::new(&chosen.rules)?));
                    built.len() - 1
                }
            };
            text(&built[at].1)
        } else {
            base.clone()
        };
        without.push(score_page(&page.reference, base.as_deref()));
        with.push(score_page(&page.reference, ruled.as_deref()));
        words.push((word_count(base.as_deref()), word_count(ruled.as_deref())));
    }
    list_hurt(pages, &covered, &without, &with, &words, args.worst);
    // Pooled over the pages picked; `corpus_quality` reads the kind of reference off the first.
    let f1 = |scores: &[PageScore], only: Option<&[usize]>| {
        let picked: Vec<PageScore> = match only {
            Some(idx) => idx.iter().map(|&i| scores[i]).collect(),
            None => scores.to_vec(),
        };
        let first = only.and_then(|idx| idx.first()).copied().unwrap_or(0);
        match pages.get(first) {
            Some(p) => corpus_quality(std::slice::from_ref(p), &picked).2,
            None => 0.0,
        }
    };
    let with_url = pages.iter().filter(|p| p.url.is_some()).count();
    println!(
        "bench: rules corpus={name} pages={} with_url={with_url} covered={} covered_f1_without={:.3} covered_f1_with={:.3} f1_without={:.3} f1_with={:.3}",
        pages.len(),
        covered.len(),
        f1(&without, Some(&covered)),
        f1(&with, Some(&covered)),
        f1(&without, None),
        f1(&with, None),
    );
    Ok(())
}

fn word_count(text: Option<&str>) -> usize {
    text.map_or(0, |t| t.split_whitespace().count())
}

/// The covered pages the rules made worse, worst first (at most `n`): page, host, F1 and words
/// without and with the rules.
fn list_hurt(
    pages: &[CorpusPage],
    covered: &[usize],
    without: &[PageScore],
    with: &[PageScore],
    words: &[(usize, usize)],
    n: usize,
) {
    let mut hurt: Vec<usize> = covered
        .iter()
        .copied()
        .filter(|&i| with[i].f1 < without[i].f1)
        .collect();
    hurt.sort_by(|&a, &b| {
        let loss = |i: usize| without[i].f1 - with[i].f1;
        loss(b).total_cmp(&loss(a))
    });
    println!("covered pages the rules made worse: {}", hurt.len());
    for &i in hurt.iter().take(n) {
        let host = pages[i].url.as_ref().and_then(url::Url::host_str);
        println!(
            "  {} host={} f1 {:.3} -> {:.3} words {} -> {}",
            pages[i].name,
            host.unwrap_or("?"),
            without[i].f1,
            with[i].f1,
            words[i].0,
            words[i].1
        );
    }
}
