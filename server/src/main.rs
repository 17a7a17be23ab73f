//! `shanshui`: the binary. Everything but argument parsing and the exit code
//! lives in the library, so tests drive the same code.

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: a page that misses the public
/// cache allocates thousands of small strings and JSON values across the
/// runtime's threads, and glibc's arenas spent about 40 % of such a
/// request's CPU in malloc and free (perf, `/open311/v2/requests.json` and
/// `/cases` at 1,000,000 cases); see docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = server::cli::Cli::parse();
    server::cli::run(cli)
}
