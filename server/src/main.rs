//! `shanshui`: the binary. Everything but argument parsing and the exit code
//! lives in the library, so tests drive the same code.

use clap::Parser;
use std::process::ExitCode;

/// jemalloc rather than glibc's malloc: a page is built from many small
/// strings, and glibc's malloc and free were a third of what an uncached
/// page of cases cost (1.8 ms of CPU with glibc, 1.26 with jemalloc), while
/// an upload flood grows the server no more (docs/benchmarks.md, 2026-12-06).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let cli = server::cli::Cli::parse();
    server::cli::run(cli)
}
