//! The import rule of `../shared/DESIGN.md`, checked on the source: each floor imports only
//! from the floors to its left and from `model`; nothing but `analyze` and `main` imports
//! `report`. Every `crate::floor` path in a module's code (test modules excluded) is an edge
//! from its floor to that floor; an edge the design forbids fails the test with the file and
//! line that makes it.
//!
//! Edges the design forbids that the code still makes are listed in [`NOT_YET`], each with the
//! reason it is still there: the list may only shrink, and an entry the code no longer needs
//! fails the test too, so that it is taken off.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors, left to right: a floor may import those before it in its row of [`allowed`].
const FLOORS: &[&str] = &[
    "model",
    "input",
    "capture",
    "tcp",
    "handshake",
    "eventlog",
    "correlate",
    "diagnose",
    "report",
    "analyze",
    "main",
];

/// What each floor may import (DESIGN.md "Data flows one way"): captures go
/// input → capture → tcp → handshake, logs input → eventlog; both meet in correlate, then
/// diagnose, then report; `analyze` and `main` run them all.
fn allowed(floor: &str) -> &'static [&'static str] {
    match floor {
        "model" => &[],
        "input" => &["model"],
        "capture" => &["model", "input"],
        "tcp" => &["model", "input", "capture"],
        "handshake" => &["model", "input", "capture", "tcp"],
        "eventlog" => &["model", "input"],
        "correlate" => &["model", "input", "capture", "tcp", "handshake", "eventlog"],
        "diagnose" => &[
            "model",
            "input",
            "capture",
            "tcp",
            "handshake",
            "eventlog",
            "correlate",
        ],
        "report" => &[
            "model",
            "input",
            "capture",
            "tcp",
            "handshake",
            "eventlog",
            "correlate",
            "diagnose",
        ],
        "main" => &[
            "model",
            "input",
            "capture",
            "tcp",
            "handshake",
            "eventlog",
            "correlate",
            "diagnose",
            "report",
            "analyze",
        ],
        "analyze" => &[
            "model",
            "input",
            "capture",
            "tcp",
            "handshake",
            "eventlog",
            "correlate",
            "diagnose",
            "report",
        ],
        _ => &[],
    }
}

/// Forbidden edges the code still makes, with why each is still there (none now).
const NOT_YET: &[(&str, &str, &str)] = &[];

/// The floor a source file belongs to: `src/tcp/park.rs` → `tcp`, `src/main.rs` → `main`.
fn floor_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib").then(|| name.to_string())
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src is readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file without its test module (`#[cfg(test)]` then `mod tests`, which by this
/// crate's convention closes the file), with each line's number.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests"))
        .unwrap_or(lines.len());
    lines[..end]
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, *l))
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .collect()
}

/// The floors a line names: `crate::tcp::…`, `use crate::{tcp, report::X}` and, in `main.rs`,
/// `rdptriage::tcp::…`.
fn floors_named(line: &str, root: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let prefix = format!("{root}::");
    let mut rest = line;
    while let Some(at) = rest.find(&prefix) {
        // Only whole path starts: not `mycrate::`.
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            // `crate::{a, b::c, d::{e}}`: the first segment of each top-level item.
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.extend(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 {
                    item.push(c);
                }
            }
            found.extend(first_segment(&item));
        } else {
            found.extend(first_segment(rest));
        }
    }
    found
}

fn first_segment(path: &str) -> Option<String> {
    let seg: String = path
        .trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    FLOORS.contains(&seg.as_str()).then_some(seg)
}

/// Every edge between floors in the crate's code: (from, to) → the places that make it.
fn edges() -> BTreeMap<(String, String), Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for file in files {
        let Some(floor) = floor_of(&src, &file) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("source is UTF-8");
        let root = if floor == "main" {
            "rdptriage"
        } else {
            "crate"
        };
        for (n, line) in code_lines(&text) {
            for to in floors_named(line, root) {
                if to != floor {
                    let place = format!("{}:{n}: {}", file.display(), line.trim());
                    edges.entry((floor.clone(), to)).or_default().push(place);
                }
            }
        }
    }
    edges
}

#[test]
fn imports_follow_the_design() {
    let edges = edges();
    assert!(
        edges.contains_key(&("analyze".into(), "report".into())),
        "the scan finds no edge at all: it reads nothing"
    );
    let mut broken = Vec::new();
    for ((from, to), places) in &edges {
        let ok = allowed(from).contains(&to.as_str());
        let excused = NOT_YET.iter().any(|(f, t, _)| f == from && t == to);
        if !ok && !excused {
            broken.push(format!(
                "{from} → {to} is forbidden by DESIGN.md, made at:\n    {}",
                places.join("\n    ")
            ));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn every_excused_edge_is_still_made() {
    let edges = edges();
    for (from, to, why) in NOT_YET {
        assert!(
            !allowed(from).contains(to),
            "{from} → {to} is allowed: take it off NOT_YET"
        );
        assert!(
            edges.contains_key(&(from.to_string(), to.to_string())),
            "{from} → {to} is no longer made ({why}): take it off NOT_YET"
        );
    }
}

#[test]
fn the_scan_reads_paths_as_the_compiler_does() {
    let named = |l: &str| floors_named(l, "crate").into_iter().collect::<Vec<_>>();
    assert_eq!(named("use crate::tcp::{Connection, Side};"), ["tcp"]);
    assert_eq!(
        named("use crate::{report::{A, B}, model::Stage, diagnose};"),
        ["diagnose", "model", "report"]
    );
    assert_eq!(named("let x = crate::report::rfc3339(t);"), ["report"]);
    assert_eq!(named("use mycrate::report::X;"), Vec::<String>::new());
    assert_eq!(named("use crate::nothing::X;"), Vec::<String>::new());
    let code = "use crate::a;\n// crate::report in a comment\n#[cfg(test)]\nmod tests {\n    use crate::report;\n}\n";
    let lines: Vec<_> = code_lines(code).into_iter().map(|(n, _)| n).collect();
    assert_eq!(lines, [1]);
}
