//! Benchmarks: extraction speed and quality over a corpus, and the whole pipeline over a loopback site.

/// `clearfeed bench DIR`.
pub fn command(_args: &crate::cli::BenchArgs) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`bench` is not available in this build yet")
}

/// `clearfeed bench-pipeline`.
pub fn pipeline_command(
    _args: &crate::cli::BenchPipelineArgs,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::bail!("`bench-pipeline` is not available in this build yet")
}
