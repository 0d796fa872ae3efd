//! Tools of the program that are not pipeline stages: the bundled demo, the extraction and
//! pipeline benchmarks, and the loopback fixture site they (and the end-to-end tests) serve pages
//! with.

pub mod bench;
pub mod bench_daemon;
pub mod bench_kill;
pub mod bench_pipeline;
pub mod bench_serve;
pub mod bench_workers;
pub mod demo;
pub mod site;
