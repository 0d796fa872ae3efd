//! `bench-pipeline --database URL --workers N` on a throwaway PostgreSQL server (`common::pg`):
//! the benchmark's worker processes run every feed once per pass and each is counted. A test
//! binary of its own, so that it never runs beside the timing-sensitive worker test.

mod common;

use std::process::Command;

#[test]
fn bench_pipeline_runs_its_feeds_on_worker_processes_and_counts_each() {
    let Some(url) = common::pg::database() else {
        return;
    };
    let bench = |workers: &str| {
        Command::new(env!("CARGO_BIN_EXE_clearfeed"))
            .args(["bench-pipeline", "--feeds", "4", "--articles", "3"])
            .args(["--database", &url, "--workers", workers])
            .output()
            .expect("run bench-pipeline")
    };
    let out = bench("2");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bench_line = stdout.lines().find(|l| l.starts_with("bench: ")).unwrap();
    assert!(bench_line.contains("feeds=4 articles=3"), "{bench_line}");
    // The second pass reads each source once, conditionally, and no article again.
    assert!(
        bench_line.contains("second_pass_requests=4 conditional=4 unconditional=0"),
        "{bench_line}"
    );
    // Per worker: feeds and article requests of each pass; together every feed once per pass.
    let workers: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("worker "))
        .collect();
    assert_eq!(workers.len(), 2, "{stdout}");
    let count = |line: &str, key: &str| -> u64 {
        let at = line.find(key).unwrap() + key.len();
        line[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let first: u64 = workers.iter().map(|l| count(l, "pass 1 feeds=")).sum();
    let second: u64 = workers.iter().map(|l| count(l, "pass 2 feeds=")).sum();
    let articles: u64 = workers.iter().map(|l| count(l, "article_requests=")).sum();
    assert_eq!((first, second, articles), (4, 4, 12), "{stdout}");

    // Run again on the same database: refused, the earlier run's feeds are there.
    let again = bench("1");
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("empty, throwaway database"), "{stderr}");
}
