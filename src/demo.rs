//! The demo: a bundled sample news site served on loopback, and the real pipeline run against it.

/// `clearfeed demo`.
pub fn command(
    _global: &crate::cli::GlobalArgs,
    _args: &crate::cli::DemoArgs,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`demo` is not available in this build yet")
}
