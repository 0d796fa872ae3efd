//! The `clearfeed` binary: parse the command line, hand over to the library, map errors to exit codes.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = clearfeed::cli::Cli::parse();
    match clearfeed::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
