//! No import cycles between the server's modules: a file may use another
//! only if that one does not, through any chain, use it back. `mod`
//! declarations and a module's use of its own children do not count. A cycle
//! is how a building block ends up depending on the HTTP layer (a service
//! reaching the router through a `mod.rs` that also holds routes), so
//! `cargo xtask lint` refuses one and names the files.
//!
//! Paths are read from the source, not from rustc: `crate::a::b::Item` and
//! `super::x` (also in `use … {…}` groups) name the longest module prefix
//! that is a file. Test modules at the end of a file (`#[cfg(test)] mod
//! tests`) are left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Module = Vec<String>;

pub fn check(src: &Path) -> Result<(), String> {
    let mut files = BTreeMap::new();
    collect(src, src, &mut files).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let cycles = cycles(&files);
    if cycles.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = cycles
        .iter()
        .map(|c| {
            let uses: Vec<String> = c
                .iter()
                .map(|m| {
                    let targets: Vec<String> = edges(m, &files)
                        .into_iter()
                        .filter(|t| c.contains(t))
                        .map(|t| name(&t))
                        .collect();
                    format!("    {} → {}", name(m), targets.join(", "))
                })
                .collect();
            format!("  a cycle of {} modules:\n{}", c.len(), uses.join("\n"))
        })
        .collect();
    Err(format!(
        "import cycles in {} (who uses whom within each):\n{}",
        src.display(),
        text.join("\n")
    ))
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "crate".to_owned()
    } else {
        m.join("::")
    }
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<Module, String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).unwrap_or(&path).with_extension("");
            let mut module: Module = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            out.insert(module, std::fs::read_to_string(&path)?);
        }
    }
    Ok(())
}

/// The modules `m` uses, other than itself and its own children (a
/// `mod.rs` declaring or re-exporting them).
fn edges(m: &Module, files: &BTreeMap<Module, String>) -> BTreeSet<Module> {
    uses(m, &files[m])
        .into_iter()
        .filter_map(|path| resolve(&path, files))
        .filter(|target| !(target.len() >= m.len() && target[..m.len()] == m[..]))
        .collect()
}

/// The sets of two or more modules that reach each other.
pub fn cycles(files: &BTreeMap<Module, String>) -> Vec<Vec<Module>> {
    let modules: Vec<&Module> = files.keys().collect();
    let index: BTreeMap<&Module, usize> =
        modules.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let uses: Vec<BTreeSet<usize>> = modules
        .iter()
        .map(|m| {
            edges(m, files)
                .iter()
                .filter_map(|t| index.get(t).copied())
                .collect()
        })
        .collect();
    strongly_connected(&uses)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let mut c: Vec<Module> = c.into_iter().map(|i| modules[i].clone()).collect();
            c.sort();
            c
        })
        .collect()
}

/// The longest prefix of `path` that is a module (a file).
fn resolve(path: &[String], files: &BTreeMap<Module, String>) -> Option<Module> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|m| files.contains_key(m))
}

/// The module paths a file names, made absolute.
fn uses(module: &Module, source: &str) -> Vec<Module> {
    let source = &source[..test_module(source).unwrap_or(source.len())];
    // Comments name paths too (doc links, "see `crate::x`"): not uses.
    let code: String = source
        .lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n");
    let source = code.as_str();
    let parent: Module = module[..module.len().saturating_sub(1)].to_vec();
    let mut out = Vec::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = source;
        while let Some(i) = rest.find(prefix) {
            // Not the tail of a longer identifier (`my_crate::`).
            let before = rest[..i].chars().next_back();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            for path in paths(rest) {
                let mut full = base.clone();
                full.extend(path);
                out.push(full);
            }
        }
    }
    out
}

/// Where the file's test module starts: `#[cfg(test)]` followed by a line
/// declaring `mod tests` (private or `pub(…)`).
fn test_module(source: &str) -> Option<usize> {
    let mut at = 0;
    while let Some(i) = source[at..].find("#[cfg(test)]\n") {
        let start = at + i;
        let next = &source[start + "#[cfg(test)]\n".len()..];
        let line = next.lines().next().unwrap_or_default().trim();
        let declared = line.strip_prefix("pub").map_or(line, |rest| {
            // `pub(super) mod tests`, `pub(crate) mod tests`, …
            rest.split_once(')')
                .map_or(rest, |(_, after)| after)
                .trim_start()
        });
        if declared.starts_with("mod tests") {
            return Some(start);
        }
        at = start + 1;
    }
    None
}

/// The paths at the start of `s`: `a::b::C`, or each head of a `{a, b::c}`
/// group.
fn paths(s: &str) -> Vec<Vec<String>> {
    let ident = |s: &str| -> Vec<String> {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(s.len());
        s[..end]
            .split("::")
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    if let Some(group) = s.strip_prefix('{') {
        let end = group.find('}').unwrap_or(group.len());
        group[..end]
            .split(',')
            .map(|item| ident(item.trim()))
            .filter(|p| !p.is_empty())
            .collect()
    } else {
        vec![ident(s)]
    }
}

/// Tarjan's algorithm, iterative.
fn strongly_connected(edges: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let (mut index, mut low) = (vec![usize::MAX; n], vec![0; n]);
    let mut on_stack = vec![false; n];
    let (mut stack, mut out, mut next) = (Vec::new(), Vec::new(), 0);
    for start in 0..n {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, Vec<usize>)> =
            vec![(start, edges[start].iter().copied().collect())];
        index[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        while let Some((v, pending)) = work.last_mut() {
            let v = *v;
            if let Some(w) = pending.pop() {
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, edges[w].iter().copied().collect()));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some((parent, _)) = work.last() {
                low[*parent] = low[*parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                out.push(component);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> BTreeMap<Module, String> {
        files
            .iter()
            .map(|(m, src)| {
                let module = m
                    .split("::")
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .collect();
                (module, (*src).to_owned())
            })
            .collect()
    }

    #[test]
    fn a_service_reaching_the_router_through_mod_rs_is_a_cycle() {
        let files = tree(&[
            ("", "pub mod cases; pub mod state;"),
            (
                "cases",
                "mod service; use crate::state::AppState; pub fn router() {}",
            ),
            ("cases::service", "use super::Deadlines; use crate::state;"),
            ("state", "use crate::cases::service::Cases;"),
        ]);
        let found = cycles(&files);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].len(), 3);
    }

    #[test]
    fn children_groups_and_test_modules_do_not_count() {
        let files = tree(&[
            ("", "pub mod cases;"),
            (
                "cases",
                "pub mod service; pub mod rules; pub use service::Cases;",
            ),
            (
                "cases::service",
                "use super::{rules, Deadlines}; use crate::cases::rules::x;",
            ),
            (
                "cases::rules",
                "pub fn x() {}\n#[cfg(test)]\npub(super) mod tests { use crate::cases::service; }",
            ),
        ]);
        assert!(cycles(&files).is_empty(), "{:?}", cycles(&files));
    }

    #[test]
    fn two_services_that_use_each_other_are_named() {
        let files = tree(&[
            ("a", "use crate::b::{self, f};"),
            ("b", "fn f() { my_crate::a::g(); crate::a::g(); }"),
        ]);
        assert_eq!(
            cycles(&files),
            [vec![vec!["a".to_owned()], vec!["b".to_owned()]]]
        );
    }
}
