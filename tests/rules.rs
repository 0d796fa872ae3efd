//! The rules library end to end: small rule files of our own (tests/rule-files), and the
//! public-domain ftr-site-config snapshot in the shared folder beside the repository.
//!
//! The snapshot test prints load time and heap use; it asserts coverage only, never speed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use clearfeed::rules::{Origin, RuleSelector, RulesLibrary, stats_line};

/// Counts live and peak heap bytes, so the snapshot test can print what loading costs.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rule-files");
const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/ftr-site-config");

fn fixtures() -> (RulesLibrary, clearfeed::rules::LoadReport) {
    let own = Path::new(FIXTURES).join("own");
    let ftr = Path::new(FIXTURES).join("ftr");
    RulesLibrary::load(Some(&own), Some(&ftr))
}

fn names(rules: &[&clearfeed::rules::HostRules]) -> Vec<String> {
    rules
        .iter()
        .map(|r| r.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn lookup_is_most_specific_first_and_ours_wins() {
    let (lib, _) = fixtures();
    let cases: &[(&str, &[&str])] = &[
        ("example.com", &["example.com.toml", "example.com.txt"]),
        ("www.example.com", &["example.com.toml", "example.com.txt"]),
        ("WWW.Example.com.", &["example.com.toml", "example.com.txt"]),
        (
            "sport.example.com",
            &["sport.example.com.txt", ".example.com.txt"],
        ),
        (
            "www.sport.example.com",
            &["sport.example.com.txt", ".example.com.txt"],
        ),
        ("live.sport.example.com", &[".example.com.txt"]),
        ("news.example.com", &[".example.com.txt"]),
        ("example.org", &[]),
        ("notexample.com", &[]),
    ];
    for (host, want) in cases {
        assert_eq!(names(&lib.for_host(host)), *want, "{host}");
    }
    let best = lib.for_host("www.example.com")[0];
    assert_eq!(best.origin, Origin::Clearfeed);
    assert_eq!(best.host, "example.com");
    assert_eq!(best.body, vec![RuleSelector::css("div.story-body")]);
    assert_eq!(best.date[0].attr.as_deref(), Some("datetime"));
    assert_eq!(best.bullets, vec!["ul.key-points".to_string()]);
    let dotted = lib.for_host("news.example.com")[0];
    assert!(dotted.subdomains);
    assert_eq!(dotted.origin, Origin::Ftr);
}

#[test]
fn report_counts_files_failures_and_directives() {
    let (lib, report) = fixtures();
    assert_eq!(report.files, 6, "notes.md is not a rule file");
    assert_eq!(report.loaded, 4);
    assert_eq!(lib.len(), 4);
    let mut failed: Vec<(String, &str)> = report
        .failed
        .iter()
        .map(|f| {
            (
                f.file.file_name().unwrap().to_string_lossy().into_owned(),
                f.reason.as_str(),
            )
        })
        .collect();
    failed.sort();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[0].0, "broken.example.toml");
    assert!(failed[0].1.contains("body: selector"), "{}", failed[0].1);
    assert_eq!(
        failed[1],
        (
            "comments-only.example.txt".to_string(),
            "no usable directive"
        )
    );
    let body = report.tally.directives["body"];
    assert_eq!((body.honoured, body.skipped), (3, 1));
    assert_eq!(report.tally.unknown.get("unheard_of"), Some(&1));
    assert_eq!(report.tally.recorded.get("tidy"), Some(&1));
    let line = stats_line(&report);
    let first = line.lines().next().unwrap();
    assert_eq!(
        first,
        "rules: files=6 loaded=4 body_honoured=75% expressions_honoured=83.3%"
    );
}

#[test]
fn missing_directories_are_reported_not_fatal() {
    let (lib, report) = RulesLibrary::load(Some(Path::new("/nonexistent/rules")), None);
    assert!(lib.is_empty());
    assert_eq!(report.files, 0);
    assert_eq!(report.failed.len(), 1);
    let (lib, report) = RulesLibrary::load(None, None);
    assert!(lib.is_empty() && report.failed.is_empty());
}

#[test]
fn ftr_snapshot_loads_and_translates() {
    let dir = Path::new(SNAPSHOT);
    assert!(
        dir.is_dir(),
        "the ftr-site-config snapshot is missing at {SNAPSHOT}: this test needs it"
    );
    let before = LIVE.load(Ordering::Relaxed);
    let start = Instant::now();
    let (lib, report) = RulesLibrary::load(None, Some(dir));
    let elapsed = start.elapsed();
    let retained = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    println!("{}", stats_line(&report));
    println!(
        "load: {} files in {:.3} s; heap retained {:.1} MB, peak {:.1} MB (whole test binary)",
        report.files,
        elapsed.as_secs_f64(),
        retained as f64 / 1e6,
        peak as f64 / 1e6
    );
    for f in report.failed.iter().take(20) {
        println!("failed: {}: {}", f.file.display(), f.reason);
    }
    assert!(
        report.files >= 2000,
        "only {} files in the snapshot",
        report.files
    );
    let loaded = report.loaded as f64 / report.files as f64;
    assert!(loaded >= 0.98, "loaded {:.1}% of files", loaded * 100.0);
    let body = report.tally.directives["body"];
    let honoured = body.honoured as f64 / (body.honoured + body.skipped) as f64;
    assert!(
        honoured >= 0.95,
        "honoured {:.1}% of body expressions",
        honoured * 100.0
    );
    assert_eq!(lib.len(), report.loaded);
    // Spot checks: a file with a www-less name serves the www host; a dotted file serves
    // subdomains; every honoured selector is valid CSS (the translator validated it).
    assert!(!lib.for_host("www.01net.com").is_empty());
    assert!(!lib.for_host("foo.blogspot.com").is_empty());
}
