//! Scheduling: one cron timer per feed, bounded concurrency, graceful shutdown; the daemon.

/// `clearfeed run`.
pub fn run_command(
    _global: &crate::cli::GlobalArgs,
    _args: &crate::cli::ListenArgs,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`run` is not available in this build yet")
}
