//! One JavaScript file for the main module, not three.
//!
//! wasm-bindgen writes the main module's JS with static imports of the app's
//! `inline_js` snippets (`snippets/…/inline0.js`, the map's Leaflet glue) and
//! of wasm-split's chunk loader (`__wasm_split.js`). A browser learns of them
//! only once it has parsed the main JS, so each is one more request and one
//! more round trip before the WebAssembly can start: on a phone at 150 ms a
//! round trip, and against `/track`'s budget of 12 requests (issue 15).
//!
//! Both are small modules the build itself wrote, so they are put into the
//! main JS, each inside a function of its own (its names stay its own) that
//! returns what it exported. Only the forms wasm-bindgen and wasm-split write
//! are understood; anything else stops the build rather than guess.

use crate::Result;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// Merges the modules `main` (a file of `pkg`) imports from `pkg` into it,
/// and removes them.
pub fn merge_into_main(pkg: &Path, main: &str) -> Result {
    let main_path = pkg.join(main);
    let source =
        fs::read_to_string(&main_path).map_err(|e| format!("{}: {e}", main_path.display()))?;
    let (merged, used) = merge(&source, main, &|relative: &str| {
        let path = pkg.join(relative);
        fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    })?;
    fs::write(&main_path, merged).map_err(|e| format!("{}: {e}", main_path.display()))?;
    for relative in used {
        let path = pkg.join(&relative);
        fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    // The snippets' directories, now empty.
    let snippets = pkg.join("snippets");
    if snippets.is_dir() {
        fs::remove_dir_all(&snippets).map_err(|e| format!("{}: {e}", snippets.display()))?;
    }
    Ok(())
}

/// `main`'s source with the modules it imports (by a relative path, read
/// through `read`) written into it; and those modules' paths, relative to
/// `main`'s directory.
fn merge(
    source: &str,
    main: &str,
    read: &dyn Fn(&str) -> Result<String>,
) -> Result<(String, Vec<String>)> {
    let mut out = String::with_capacity(source.len() * 2);
    // A module imported as a namespace more than once is written once.
    let mut written: HashMap<String, String> = HashMap::new();
    let mut used = Vec::new();
    for line in source.split_inclusive('\n') {
        let Some(import) = Import::parse(line)? else {
            out.push_str(line);
            continue;
        };
        let path = import
            .path
            .strip_prefix("./")
            .ok_or_else(|| format!("{main}: an import from outside pkg: {}", line.trim()))?
            .to_owned();
        match import.what {
            Imported::Namespace(name) => {
                if let Some(first) = written.get(&path) {
                    out.push_str(&format!("const {name} = {first};\n"));
                    continue;
                }
                let module = Module::parse(&read(&path)?, &path, main)?;
                out.push_str(&format!("const {name} = {};\n", module.as_expression()));
                written.insert(path.clone(), name.to_owned());
            }
            Imported::Names(names) => {
                let module = Module::parse(&read(&path)?, &path, main)?;
                if let Some(missing) = names
                    .iter()
                    .find(|n| !module.exports.iter().any(|e| e == **n))
                {
                    return Err(format!(
                        "{main} imports {missing}, which {path} does not export"
                    ));
                }
                out.push_str(&format!(
                    "const {{ {} }} = {};\n",
                    names.join(", "),
                    module.as_expression()
                ));
            }
        }
        if !used.contains(&path) {
            used.push(path);
        }
    }
    Ok((out, used))
}

/// A static import at the start of a line of the main JS.
struct Import<'a> {
    what: Imported<'a>,
    path: &'a str,
}

enum Imported<'a> {
    /// `import * as name from "…"`
    Namespace(&'a str),
    /// `import { a, b } from '…';`
    Names(Vec<&'a str>),
}

impl<'a> Import<'a> {
    /// None for a line that is not an import; an error for an import in a
    /// form this does not know.
    fn parse(line: &'a str) -> Result<Option<Self>> {
        let Some(rest) = line.strip_prefix("import ") else {
            return Ok(None);
        };
        let unknown = || {
            format!(
                "an import of a form the build cannot merge: {}",
                line.trim()
            )
        };
        let (what, from) = rest.split_once(" from ").ok_or_else(unknown)?;
        let path = from
            .trim()
            .trim_end_matches(';')
            .strip_prefix(['"', '\''])
            .and_then(|p| p.strip_suffix(['"', '\'']))
            .ok_or_else(unknown)?;
        let what = if let Some(name) = what.strip_prefix("* as ") {
            Imported::Namespace(identifier(name.trim()).ok_or_else(unknown)?)
        } else if let Some(names) = what
            .trim()
            .strip_prefix('{')
            .and_then(|w| w.strip_suffix('}'))
        {
            let names = names
                .split(',')
                .map(|n| identifier(n.trim()))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(unknown)?;
            Imported::Names(names)
        } else {
            return Err(unknown());
        };
        Ok(Some(Import { what, path }))
    }
}

/// A module to merge: its code without `export`, and the names it exported.
struct Module {
    body: String,
    exports: Vec<String>,
}

impl Module {
    /// `main` may be imported back (wasm-split's loader takes `initSync` from
    /// it): once merged, those names are the main JS's own, so the import
    /// goes.
    fn parse(source: &str, path: &str, main: &str) -> Result<Self> {
        let mut body = String::with_capacity(source.len());
        let mut exports = Vec::new();
        for line in source.split_inclusive('\n') {
            if let Some(import) = Import::parse(line)? {
                if import.path.strip_prefix("./") == Some(main) {
                    continue;
                }
                return Err(format!(
                    "{path} imports {}, which the build does not merge",
                    import.path
                ));
            }
            let Some(declaration) = line.strip_prefix("export ") else {
                body.push_str(line);
                continue;
            };
            let name = ["async function ", "function ", "const ", "let ", "class "]
                .iter()
                .find_map(|kind| declaration.strip_prefix(kind))
                .and_then(|rest| {
                    let end = rest
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                        .unwrap_or(rest.len());
                    identifier(&rest[..end])
                })
                .ok_or_else(|| {
                    format!("{path}: an export the build cannot merge: {}", line.trim())
                })?;
            exports.push(name.to_owned());
            body.push_str(declaration);
        }
        Ok(Module { body, exports })
    }

    /// The module as an expression whose value holds its exports.
    fn as_expression(&self) -> String {
        format!(
            "(() => {{\n{}\nreturn {{ {} }};\n}})()",
            self.body.trim_end(),
            self.exports.join(", ")
        )
    }
}

fn identifier(name: &str) -> Option<&str> {
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '$'))
    .then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIN: &str = "import { a, b } from './snippets/app-1/inline0.js';\n\
        import * as import1 from \"./__wasm_split.js\"\n\
        import * as import2 from \"./__wasm_split.js\"\n\
        function initSync() { return 1; }\n\
        const table = { \"./__wasm_split.js\": import1, x: import2 };\n";

    fn files(path: &str) -> Result<String> {
        match path {
            "snippets/app-1/inline0.js" => Ok("let n = 0;\n\
                export function a() { return ++n; }\n\
                function helper() {}\n\
                export async function b() {}\n"
                .to_owned()),
            "__wasm_split.js" => Ok("import { initSync } from \"./shanshui.js\";\n\
                const helper = () => initSync();\n\
                export const __wasm_split_load_x = helper;\n"
                .to_owned()),
            other => Err(format!("no {other}")),
        }
    }

    #[test]
    fn imported_modules_are_written_once_into_the_main_js_in_their_own_scope() {
        let (merged, used) = merge(MAIN, "shanshui.js", &files).unwrap();
        assert_eq!(used, ["snippets/app-1/inline0.js", "__wasm_split.js"]);
        assert!(!merged.contains("import "), "{merged}");
        assert!(!merged.contains("export "), "{merged}");
        assert!(merged.starts_with("const { a, b } = (() => {\nlet n = 0;\nfunction a()"));
        assert!(merged.contains("return { a, b };\n})();\n"));
        assert!(merged.contains("const import1 = (() => {\nconst helper = () => initSync();"));
        assert!(
            merged.contains("return { __wasm_split_load_x };\n})();\nconst import2 = import1;\n")
        );
        assert!(merged.ends_with("function initSync() { return 1; }\nconst table = { \"./__wasm_split.js\": import1, x: import2 };\n"));
    }

    #[test]
    fn what_it_does_not_understand_stops_the_build() {
        let unknown_form = "import def from './x.js';\n";
        assert!(merge(unknown_form, "shanshui.js", &files).is_err());
        let missing_name = "import { nope } from './snippets/app-1/inline0.js';\n";
        assert!(
            merge(missing_name, "shanshui.js", &files)
                .unwrap_err()
                .contains("nope")
        );
        let reexport = |_: &str| Ok("export { a } from './y.js';\n".to_owned());
        assert!(merge("import * as m from './x.js'\n", "shanshui.js", &reexport).is_err());
        let default = |_: &str| Ok("export default 1;\n".to_owned());
        assert!(merge("import * as m from './x.js'\n", "shanshui.js", &default).is_err());
        let elsewhere = |_: &str| Ok("import { z } from './other.js';\n".to_owned());
        assert!(merge("import * as m from './x.js'\n", "shanshui.js", &elsewhere).is_err());
        assert!(
            merge(
                "import * as m from 'https://cdn/x.js'\n",
                "shanshui.js",
                &files
            )
            .is_err()
        );
        let unchanged = "const x = 1;\n// import nothing\n";
        assert_eq!(
            merge(unchanged, "shanshui.js", &files).unwrap().0,
            unchanged
        );
    }
}
