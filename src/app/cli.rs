//! The command line as clap types: a leaf of the app, never seen by the library's stages.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// clearfeed: clean, ad-free feeds with summaries from partial feeds and article pages.
#[derive(Debug, Parser)]
#[command(name = "clearfeed", version, about, long_about = None)]
pub struct Cli {
    /// The options also accepted before the command name (`clearfeed --config F run`), for
    /// scripts and units written that way; each command's help lists the ones it takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// `--config`, `--data-dir` and `--log-format` given before the command name. Hidden from the
/// help: each command that uses them lists them itself.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalArgs {
    #[arg(long, hide = true)]
    pub config: Option<PathBuf>,
    #[arg(long, hide = true)]
    pub data_dir: Option<PathBuf>,
    #[arg(long, hide = true, value_enum)]
    pub log_format: Option<LogFormat>,
}

/// Where the configuration is: for the commands that read it.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// Main configuration file (optional; every setting has a default). The feeds directory is
    /// `feeds/` beside it unless `feeds_dir` says otherwise. [default: clearfeed.toml]
    #[arg(long, env = "CLEARFEED_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory (database, published feeds); overrides `data_dir` from the configuration.
    #[arg(long, env = "CLEARFEED_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL database shared by several workers (`postgres://user@host:port/db`); overrides
    /// `database_url` from the configuration. [default: SQLite in the data directory]
    #[arg(long, env = "CLEARFEED_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// How log lines look: for the commands that log.
#[derive(Debug, Clone, Default, Args)]
pub struct LogArgs {
    /// Log format on stderr (level from `RUST_LOG`). [default: human]
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
}

/// The configuration file when neither the command nor the top level names one.
pub const DEFAULT_CONFIG: &str = "clearfeed.toml";

impl GlobalArgs {
    /// The configuration file: the command's own option, else the top-level one, else the default.
    pub fn config_file(&self, own: &ConfigArgs) -> PathBuf {
        (own.config.clone())
            .or_else(|| self.config.clone())
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }

    /// The data directory override, the command's own first.
    pub fn data_dir(&self, own: Option<&PathBuf>) -> Option<PathBuf> {
        own.cloned().or_else(|| self.data_dir.clone())
    }

    /// The log format, the command's own first.
    pub fn log_format(&self, own: &LogArgs) -> LogFormat {
        own.log_format
            .or(self.log_format)
            .unwrap_or(LogFormat::Human)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract one or more article pages (file, URL or `-` for stdin) and print the clean article.
    Extract(ExtractArgs),
    /// Measure extraction speed and quality over a corpus directory.
    Bench(BenchArgs),
    /// The daemon: run every feed on its schedule and serve the feeds over HTTP.
    Run(ServeArgs),
    /// One pass over the named feeds (all when none given), publish, exit.
    Once(OnceArgs),
    /// Serve the published feeds over HTTP without fetching anything.
    Serve(ServeArgs),
    /// Validate clearfeed.toml and every feed file; print each error with file, line and a hint.
    Check(ConfigArgs),
    /// Show each feed's state: last success, last error, item count.
    Status(ConfigArgs),
    /// Serve a bundled sample news site on loopback and run the real pipeline against it.
    Demo(DemoArgs),
    /// Benchmark the whole pipeline against a generated loopback site.
    BenchPipeline(BenchPipelineArgs),
    /// Benchmark the daemon's memory and threads: `run` as a child process over a generated site.
    BenchDaemon(BenchDaemonArgs),
    /// Benchmark `serve`: requests per second for one published feed, plain, 304, gzip, brotli.
    BenchServe(BenchServeArgs),
    /// Crash safety: kill -9 `once` at random moments, one more feed each time, and check the
    /// database and the published files after each kill and at the end.
    BenchKill(BenchKillArgs),
    /// Write one feed file per feed of an OPML list (ids from titles; nothing is overwritten).
    Import(ImportArgs),
    /// Find a site's feeds (or its sitemap, or a listing page) and write a feed file for the
    /// best one (nothing is overwritten).
    Add(AddArgs),
    /// Print the configured upstream feeds as OPML (the sources, not the clean feeds).
    Export(ConfigArgs),
    /// Site rules by host: load a rules directory and report on it, or show a URL's rules.
    #[command(subcommand)]
    Rules(RulesCommand),
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Fetch each rule file's `test_url` politely and report whether the body rule matched and
    /// the `test_contains` phrases are in the text: which rules went stale.
    Check(RulesCheckArgs),
    /// Load a directory of rule files (clearfeed `.toml`, ftr-site-config `.txt`) and print how
    /// many loaded and how many expressions were honoured, per directive.
    Stats {
        /// The directory (for example a clone of the ftr-site-config repository).
        dir: PathBuf,
    },
    /// Print the rules that would apply to a URL, most specific first, with the file of each.
    Show {
        /// The article URL.
        url: url::Url,
        /// Directory of clearfeed's own `.toml` rule files.
        #[arg(long)]
        rules_dir: Option<PathBuf>,
        /// Directory of ftr-site-config `.txt` rule files.
        #[arg(long)]
        ftr_rules_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct RulesCheckArgs {
    /// Only the rule files that apply to these hosts (all files with a `test_url` when none).
    pub hosts: Vec<String>,
    /// Directory of clearfeed's own `.toml` rule files; overrides `rules_dir`.
    #[arg(long)]
    pub rules_dir: Option<PathBuf>,
    /// Directory of ftr-site-config `.txt` rule files; overrides `ftr_rules_dir`.
    #[arg(long)]
    pub ftr_rules_dir: Option<PathBuf>,
    /// Fetch test URLs on loopback and private addresses too.
    #[arg(long)]
    pub allow_private: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExtractFormat {
    /// One JSON object with every field.
    Json,
    /// One JSON object per line, for many inputs; failures print an `error` field.
    Jsonl,
    /// Summary and clean text, for people.
    Text,
    /// The clean, sanitized article HTML.
    Html,
}

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExtractFormat::Json)]
    pub format: ExtractFormat,
    /// Base URL for resolving relative links when the input is a file or stdin.
    #[arg(long)]
    pub base_url: Option<url::Url>,
    /// Fetch URLs on loopback and private addresses too (refused by default, as in feeds).
    #[arg(long)]
    pub allow_private: bool,
    /// A TOML file of site rules (`body`, `bullets`, `remove`, ...), as in a feed's `[extract]` table.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Directory of clearfeed's own rule files by host (`example.com.toml`); overrides
    /// `rules_dir` from the configuration. The `--rules` file still wins over them.
    #[arg(long)]
    pub rules_dir: Option<PathBuf>,
    /// Directory of ftr-site-config rule files (`example.com.txt`); overrides `ftr_rules_dir`.
    #[arg(long)]
    pub ftr_rules_dir: Option<PathBuf>,
    /// Main configuration file, for its `[fetch]` settings and user agent when fetching URLs.
    /// [default: clearfeed.toml, when it exists]
    #[arg(long, env = "CLEARFEED_CONFIG")]
    pub config: Option<PathBuf>,
    /// Inputs: file paths, http(s) URLs, or `-` for stdin.
    #[arg(required = true)]
    pub inputs: Vec<String>,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Corpus directory (`trafilatura-eval/` with cases.json, or `readability/` with one folder per page).
    pub dir: PathBuf,
    /// Only the first N pages.
    #[arg(long)]
    pub limit: Option<usize>,
    /// How many of the worst pages to list.
    #[arg(long, default_value_t = 10)]
    pub worst: usize,
    /// Timed passes over the corpus (the best is reported).
    #[arg(long, default_value_t = 3)]
    pub passes: usize,
    /// Also score the pages with site rules: clearfeed rule files by host (pages need URLs,
    /// as `cases.json` gives them).
    #[arg(long)]
    pub rules_dir: Option<PathBuf>,
    /// Also score the pages with site rules: ftr-site-config files by host.
    #[arg(long)]
    pub ftr_rules_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides `listen` from the configuration).
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, Args)]
pub struct OnceArgs {
    /// Feed ids (file stems in the feeds directory); all feeds when none given.
    pub feeds: Vec<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// A site's home page, one of its article pages, or a feed.
    pub url: String,
    /// The feed id (the file `feeds/<id>.toml`). [default: from the feed's title, else the host]
    #[arg(long)]
    pub id: Option<String>,
    /// Print the feed file instead of writing it.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The OPML file (as exported by a feed reader).
    pub file: PathBuf,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo keeps its configuration, database and published files (cleared when it
    /// holds an earlier demo, refused when it holds anything else). [default: data/demo]
    #[arg(long, env = "CLEARFEED_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub log: LogArgs,
    /// Address for the clean feeds (the sample site gets its own loopback port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Run one pass, print the feed URLs and exit instead of serving.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct BenchKillArgs {
    /// Number of killed runs (one more feed file before each).
    #[arg(long, default_value_t = 100)]
    pub kills: usize,
    /// Articles per feed.
    #[arg(long, default_value_t = 8)]
    pub articles: usize,
    /// Seed of the kill moments (the same seed draws the same moments).
    #[arg(long, default_value_t = 20_261_201)]
    pub seed: u64,
    /// Each kill comes at a random moment up to this many milliseconds after the start.
    #[arg(long, default_value_t = 800)]
    pub max_ms: u64,
    /// Work in this directory and keep it (default: a temporary directory, removed at the end).
    #[arg(long)]
    pub keep: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchPipelineArgs {
    /// Number of feeds on the generated site.
    #[arg(long, default_value_t = 100)]
    pub feeds: usize,
    /// Articles per feed.
    #[arg(long, default_value_t = 50)]
    pub articles: usize,
    /// Run against this PostgreSQL database (`postgres://…`; an empty, throwaway one) with
    /// `--workers` worker processes (`clearfeed run`) instead of in this process over SQLite.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Worker processes sharing the database (with `--database`).
    #[arg(long, default_value_t = 1, requires = "database")]
    pub workers: usize,
    #[command(flatten)]
    pub log: LogArgs,
}

#[derive(Debug, Args)]
pub struct BenchServeArgs {
    /// Keep-alive connections sending requests back to back.
    #[arg(long, default_value_t = 50)]
    pub connections: usize,
    /// Seconds per case.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Measure this URL on another server instead of a `clearfeed serve` started for the run.
    #[arg(long)]
    pub target: Option<url::Url>,
    /// Data directory for the benchmark feed, kept afterwards (to serve the same files with
    /// another server). [default: a temporary directory, removed]
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct BenchDaemonArgs {
    /// Number of feeds on the generated site.
    #[arg(long, default_value_t = 100)]
    pub feeds: usize,
    /// Articles per feed.
    #[arg(long, default_value_t = 20)]
    pub articles: usize,
    /// Seconds between two runs of each feed (divides a minute, or whole minutes).
    #[arg(long, default_value_t = 60)]
    pub every: u64,
    /// Seconds to watch the daemon.
    #[arg(long, default_value_t = 600)]
    pub duration: u64,
    /// Run `clearfeed once` over the site instead and report its CPU time and written blocks.
    #[arg(long)]
    pub once: bool,
}
