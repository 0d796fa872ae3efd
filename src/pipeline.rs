//! The pipeline: one pass over one feed — source, fetch, extract, summarize, store, publish.

/// `clearfeed once`.
pub fn once_command(
    _global: &crate::cli::GlobalArgs,
    _args: &crate::cli::OnceArgs,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`once` is not available in this build yet")
}
