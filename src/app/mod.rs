//! The `clearfeed` program around the library: clap arguments ([`cli`]), the per-command set-up
//! done once here (logging, the configuration, the async runtime), and the dispatch to one
//! function per command ([`commands`], [`extract`]). The tools that are not pipeline stages — the
//! demo, the benchmarks and the loopback fixture site — live in [`tools`].
//!
//! Shaped like ripgrep's `main → run → ExitCode`: `main` parses, [`run`] does the work and returns
//! the exit status, an error is printed once with its causes.

/// `println!` that hands a failed write (a closed pipe) back to the caller instead of panicking:
/// `say!(...)?`. [`main`] ends quietly with status 0 when stdout was closed.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` counterpart of `say!`.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}

pub mod add;
pub mod cli;
pub mod commands;
pub mod extract;
pub mod rules_check;
pub mod tools;

use std::future::Future;
use std::process::ExitCode;

use clap::Parser;

use crate::config::AppConfig;
use cli::{Cli, Command, ConfigArgs, GlobalArgs, LogArgs, LogFormat};

/// The binary's entry point: parse the command line, run it, map an error to exit status 1.
pub fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`clearfeed … | head`): stop quietly, as Unix tools do.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc's malloc gives each thread that allocates concurrently its own arena (up to 8 per core),
/// and each arena keeps the memory freed into it. Pages and feeds are built and dropped on
/// whichever blocking-pool thread ran them, so every thread's arena grows to the largest job it
/// ever ran and the daemon's resident memory sums them. Two arenas keep that bounded; the
/// contention cost is small because the allocations are short and the threads few (see
/// `MAX_BLOCKING_THREADS`). An explicit `MALLOC_ARENA_MAX` in the environment wins.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a malloc tuning parameter; called before any other thread
        // exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Drops what extraction keeps for the next page (the cruft sets' search caches) and gives the
/// memory malloc holds free back to the system (glibc keeps freed memory in its arenas for reuse;
/// after a burst of feed runs that is megabytes of pages no one uses until the next burst). The
/// daemon calls it whenever its last feed run in flight ends.
pub(crate) fn release_free_memory() {
    crate::extract::cruft::release_caches();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of malloc's own arenas to the kernel; it takes
    // the arenas' locks like any allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Whether `err` is, at bottom, a write to a closed pipe.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs the parsed command and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let top = &cli.global;
    let logging = |own: &LogArgs, level| init_logging(top.log_format(own), level);
    match cli.command {
        Command::Extract(args) => {
            let own = ConfigArgs {
                config: args.config.clone(),
                ..Default::default()
            };
            let mut config = load(top, &own)?;
            config.replace_rules(args.rules_dir.clone(), args.ftr_rules_dir.clone());
            extract::command(&args, config.fetch, &config.user_agent, &config.rules)
        }
        Command::Bench(args) => tools::bench::command(&args),
        Command::Check(own) => {
            commands::check(&top.config_file(&own), top.data_dir(own.data_dir.as_ref()))
        }
        Command::Status(own) => commands::status(&load(top, &own)?),
        Command::Run(args) => {
            logging(&args.log, "info");
            block_on(commands::run(load(top, &args.config)?, args.listen))
        }
        Command::Once(args) => {
            logging(&args.log, "warn");
            block_on(commands::once(load(top, &args.config)?, &args.feeds))
        }
        Command::Serve(args) => {
            logging(&args.log, "info");
            block_on(commands::serve(load(top, &args.config)?, args.listen))
        }
        Command::Demo(args) => {
            logging(&args.log, "info");
            let dir = top.data_dir(args.data_dir.as_ref());
            let dir = dir.unwrap_or_else(|| "data/demo".into());
            block_on(tools::demo::run_demo(dir, args.listen, args.once))
        }
        Command::Rules(cli::RulesCommand::Check(args)) => {
            let mut config = load(top, &args.config)?;
            config.replace_rules(args.rules_dir.clone(), args.ftr_rules_dir.clone());
            config.fetch.allow_private_networks |= args.allow_private;
            block_on(rules_check::command(&config, &args.hosts))
        }
        Command::Rules(command) => commands::rules(&command),
        Command::BenchDaemon(args) => tools::bench_daemon::command(&args),
        Command::BenchServe(args) => tools::bench_serve::command(&args),
        Command::BenchKill(args) => tools::bench_kill::command(&args),
        Command::Import(args) => commands::import(&load(top, &args.config)?, &args.file),
        Command::Add(args) => {
            let config = load(top, &args.config)?;
            block_on(add::add(
                &config,
                &args.url,
                args.id.as_deref(),
                args.dry_run,
            ))
        }
        Command::Export(own) => commands::export(&load(top, &own)?),
        Command::BenchPipeline(args) => {
            // Per-article info logs would drown the figures; warnings and errors still show.
            logging(&args.log, "warn");
            tools::bench_pipeline::command(&args)
        }
    }
}

/// Loads the configuration once for the command: its own `--config`/`--data-dir`, else the
/// top-level ones, else `clearfeed.toml` (optional) in the working directory.
fn load(top: &GlobalArgs, own: &ConfigArgs) -> anyhow::Result<AppConfig> {
    let data_dir = top.data_dir(own.data_dir.as_ref());
    let mut config = AppConfig::load_from(&top.config_file(own), data_dir)?;
    if let Some(url) = own.database_url.as_deref().filter(|u| !u.trim().is_empty()) {
        crate::store::Database::from_url(Some(url), config.db_path())
            .map_err(|e| anyhow::anyhow!("--database-url / CLEARFEED_DATABASE_URL: {e}"))?;
        config.database_url = Some(url.to_string());
    }
    Ok(config)
}

/// How long blocking work still running when a command ends (a database call waiting on a lock,
/// an extraction) may hold the exit up. The shutdown graces come first: with them the daemon's
/// worst case from SIGTERM to exit is `schedule::SHUTDOWN_GRACE` plus this.
pub const EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

/// Most async worker threads: feed work is mostly waiting on the network, and the CPU-heavy parts
/// (parsing, extraction, the database) run on the blocking pool.
const MAX_WORKER_THREADS: usize = 4;
/// Most blocking-pool threads. Tokio's default (512) lets a burst of extractions and database
/// calls start dozens of threads, each with its own stack and malloc arena; the database takes
/// one caller at a time anyway and extraction is CPU-bound, so a few threads do the same work.
const MAX_BLOCKING_THREADS: usize = 8;

/// Builds the multi-threaded runtime (once per process), runs `work` on it, and then gives
/// leftover blocking tasks at most [`EXIT_GRACE`] instead of waiting for them without end.
pub fn block_on<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cpus.clamp(1, MAX_WORKER_THREADS))
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all()
        .build()?;
    let result = runtime.block_on(work);
    runtime.shutdown_timeout(EXIT_GRACE);
    result
}

/// Logging to stderr, human-readable or one JSON object per line, at `RUST_LOG` or `default_level`.
/// Colour only on a terminal, and never with `NO_COLOR` set (<https://no-color.org>). The one
/// place a subscriber is installed; a second call (tests) is harmless.
pub fn init_logging(format: LogFormat, default_level: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let colour = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Whether log lines get ANSI colours: on a terminal, unless `NO_COLOR` is set to anything but "".
fn use_colour(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(true, None));
        assert!(
            !use_colour(false, None),
            "a file or pipe gets no escape codes"
        );
        assert!(!use_colour(true, Some("1".as_ref())));
        assert!(
            use_colour(true, Some("".as_ref())),
            "an empty NO_COLOR does not count"
        );
    }
}
