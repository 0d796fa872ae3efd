//! Serving: an axum router over the published feeds (ETag/Last-Modified, 304, gzip), the HTML index
//! page, health and metrics.

/// `clearfeed serve`.
pub fn command(
    _global: &crate::cli::GlobalArgs,
    _args: &crate::cli::ListenArgs,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`serve` is not available in this build yet")
}
