//! `shanshui`: the binary. Everything but argument parsing and the exit code
//! lives in the library, so tests drive the same code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = server::cli::Cli::parse();
    server::cli::run(cli)
}
