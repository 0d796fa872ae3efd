//! The `clearfeed` binary: everything happens in [`clearfeed::app`].

fn main() -> std::process::ExitCode {
    clearfeed::app::main()
}
