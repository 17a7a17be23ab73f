//! leptos_i18n's `load_locales!` reads `locales/*.json` while the crate
//! compiles but does not tell cargo, so an edited translation alone would
//! leave the old text in the build (the server's pages and the WebAssembly
//! both). Watching the folder makes such an edit rebuild the crate.

fn main() {
    println!("cargo:rerun-if-changed=locales");
}
