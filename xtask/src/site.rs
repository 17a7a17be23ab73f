//! The front end: the WebAssembly half of `app`, split, bound and laid out
//! with `public/` as the site root the server serves.

use crate::{OUTPUT_NAME, Result, WASM_TARGET, cargo, root, sh, site_root, step, target_dir};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the WebAssembly half of `app` and lays out the site root:
/// `public/` copied as is, `pkg/` from wasm-split and wasm-bindgen.
///
/// The way `cargo leptos --split` does it: the wasm is linked keeping its
/// relocations (`--emit-relocs`, set in .cargo/config.toml) so that
/// wasm-split can cut it at the app's lazy routes (`#[lazy_route]`) into the
/// main module — the shell every page needs — and chunks that
/// wasm-split's loader fetches the first time a lazy page is shown.
/// wasm-bindgen then processes the main module alone and keeps the exports
/// the chunks link against (`--keep-lld-exports`); the loader and the app's
/// JS snippets are then merged into its JS (`bundle`).
pub fn build(release: bool) -> Result {
    let profile = if release { "wasm-release" } else { "dev" };
    step(&format!("building the WebAssembly front end ({profile})"));
    // `--emit-relocs` comes from .cargo/config.toml, beside the flags the
    // server's build must share.
    sh(cargo().args([
        "build",
        "--package",
        "app",
        "--lib",
        "--target",
        WASM_TARGET,
        "--no-default-features",
        "--features",
        "hydrate",
        "--profile",
        profile,
    ]))?;
    let out_profile = if release { "wasm-release" } else { "debug" };
    let wasm = target_dir()
        .join(WASM_TARGET)
        .join(out_profile)
        .join("app.wasm");
    let main_wasm = wasm.with_file_name("app_main.wasm");
    let site = site_root();
    let pkg = site.join("pkg");
    let _ = fs::remove_dir_all(&site);
    fs::create_dir_all(&pkg).map_err(|e| format!("cannot create {}: {e}", pkg.display()))?;

    step("wasm-split");
    let input = fs::read(&wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    // The loader instantiates each chunk with the main module's memory, table
    // and exports, which it takes from wasm-bindgen's JS next to it.
    let main_js = format!("./{OUTPUT_NAME}.js");
    let split = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&input);
        opts.output_dir = &pkg;
        opts.main_out_path = &main_wasm;
        opts.main_module = &main_js;
        opts.link_name = "./__wasm_split.js";
        opts
    })
    .map_err(|e| {
        format!("wasm-split: {e:?} (it needs the relocations .cargo/config.toml asks for: is RUSTFLAGS set?)")
    })?;
    if release {
        // wasm-bindgen never sees the chunks, so `--remove-name-section`
        // does not reach them: their function names were two thirds of
        // their size (the report form's chunk: 3.0 MB raw, 0.9 MB without).
        for chunk in &split.split_modules {
            let bytes = fs::read(chunk).map_err(|e| format!("{}: {e}", chunk.display()))?;
            let stripped = without_custom_sections(&bytes)
                .ok_or_else(|| format!("{}: not a WebAssembly module", chunk.display()))?;
            fs::write(chunk, stripped).map_err(|e| format!("{}: {e}", chunk.display()))?;
        }
    }

    step("wasm-bindgen");
    let mut bindgen = Command::new("wasm-bindgen");
    // The chunks link against the main module's lld exports; cargo leptos
    // --split passes the same two flags.
    bindgen.args([
        "--target",
        "web",
        "--no-typescript",
        "--keep-lld-exports",
        "--no-demangle",
        "--out-name",
        OUTPUT_NAME,
        "--out-dir",
    ]);
    bindgen.arg(&pkg);
    if release {
        bindgen.arg("--remove-name-section");
    }
    sh(bindgen.arg(&main_wasm))?;
    crate::bundle::merge_into_main(&pkg, &format!("{OUTPUT_NAME}.js"))?;

    copy_dir(&root().join("public"), &site)?;
    if release {
        step("pre-compressing (brotli, gzip)");
        // The WebAssembly and its JS, and the files of `public/` a page
        // loads (the stylesheet, the service worker, Leaflet): otherwise the
        // server compresses them on each request, faster but larger.
        let mut files = front_end_files(&pkg)?;
        files.extend(public_text_files(&site)?);
        for file in files {
            precompress(&file)?;
        }
    }
    eprintln!("front end in {}", site.display());
    if release {
        crate::bench::front_end_sizes()?;
    }
    Ok(())
}

/// A WebAssembly module without its custom sections (function names,
/// producers, target features): none is needed to run it. None if the bytes
/// are not a module.
pub fn without_custom_sections(wasm: &[u8]) -> Option<Vec<u8>> {
    fn leb128(bytes: &[u8], at: &mut usize) -> Option<usize> {
        let mut value = 0usize;
        for shift in (0..35).step_by(7) {
            let byte = *bytes.get(*at)?;
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    let header = wasm.get(..8).filter(|h| h.starts_with(b"\0asm"))?;
    let mut out = header.to_vec();
    let mut at = 8;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        at += 1;
        let size = leb128(wasm, &mut at)?;
        let end = at.checked_add(size).filter(|&end| end <= wasm.len())?;
        if id != 0 {
            out.extend_from_slice(&wasm[start..end]);
        }
        at = end;
    }
    Some(out)
}

/// The JavaScript and WebAssembly under `pkg/`, sorted: the main module,
/// its JS and snippets, the chunk loader and the chunks.
pub fn front_end_files(dir: &Path) -> Result<Vec<PathBuf>> {
    files_with(dir, &["js", "wasm"], None)
}

/// The text files of the site root outside `pkg/` (`public/` as copied).
fn public_text_files(site: &Path) -> Result<Vec<PathBuf>> {
    files_with(
        site,
        &["css", "js", "svg", "webmanifest", "txt"],
        Some("pkg"),
    )
}

/// The files under `dir` with one of `extensions`, sorted, leaving out the
/// directory named `skip`.
fn files_with(dir: &Path, extensions: &[&str], skip: Option<&str>) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            if skip.is_none_or(|skip| !path.ends_with(skip)) {
                files.extend(files_with(&path, extensions, skip)?);
            }
        } else if path
            .extension()
            .is_some_and(|x| extensions.iter().any(|e| x == *e))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

pub fn copy_dir(from: &Path, to: &Path) -> Result {
    let entries = fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
            copy_dir(&entry.path(), &dest)?;
        } else {
            fs::copy(entry.path(), &dest)
                .map_err(|e| format!("copying {}: {e}", dest.display()))?;
        }
    }
    Ok(())
}

pub fn precompress(file: &Path) -> Result {
    let data = fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut br = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut data.as_slice(), &mut br, &params)
            .map_err(|e| e.to_string())?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data).map_err(|e| e.to_string())?;
    let gz = gz.finish().map_err(|e| e.to_string())?;
    let with_ext = |ext: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(ext);
        PathBuf::from(name)
    };
    fs::write(with_ext(".br"), &br).map_err(|e| e.to_string())?;
    fs::write(with_ext(".gz"), &gz).map_err(|e| e.to_string())?;
    eprintln!(
        "  {}: {} KB, brotli {} KB, gzip {} KB",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        data.len() / 1024,
        br.len() / 1024,
        gz.len() / 1024
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{public_text_files, without_custom_sections};

    #[test]
    fn the_public_text_files_are_found_and_the_wasm_and_images_left_out() {
        let site = std::env::temp_dir().join(format!("xtask-site-{}", std::process::id()));
        for dir in ["pkg", "vendor/leaflet/images"] {
            std::fs::create_dir_all(site.join(dir)).unwrap();
        }
        for file in [
            "style.css",
            "sw.js",
            "manifest.webmanifest",
            "favicon.svg",
            "pkg/shanshui.js",
            "vendor/leaflet/leaflet.js",
            "vendor/leaflet/LICENSE",
            "vendor/leaflet/images/marker.png",
        ] {
            std::fs::write(site.join(file), "x").unwrap();
        }
        let found: Vec<String> = public_text_files(&site)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&site).unwrap().display().to_string())
            .collect();
        std::fs::remove_dir_all(&site).unwrap();
        assert_eq!(
            found,
            [
                "favicon.svg",
                "manifest.webmanifest",
                "style.css",
                "sw.js",
                "vendor/leaflet/leaflet.js"
            ]
        );
    }

    #[test]
    fn custom_sections_are_dropped_and_the_others_kept() {
        let header = b"\0asm\x01\0\0\0";
        let types = [1u8, 4, 1, 0x60, 0, 0]; // one type: () -> ()
        let mut names = vec![0u8, 5, 4];
        names.extend_from_slice(b"name");
        let mut module = header.to_vec();
        module.extend_from_slice(&names);
        module.extend_from_slice(&types);
        let mut expected = header.to_vec();
        expected.extend_from_slice(&types);
        assert_eq!(without_custom_sections(&module), Some(expected));
        assert_eq!(without_custom_sections(b"not wasm"), None);
        assert_eq!(
            without_custom_sections(&module[..12]),
            None,
            "a cut section"
        );
    }
}
