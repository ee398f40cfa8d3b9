//! The import rule of `../shared/DESIGN.md`, checked on the source: each floor imports only
//! from the floors to its left and from `model`; nothing but `analyze` and `main` imports
//! `report`. Every `crate::floor` path in a module's code (test modules excluded) is an edge
//! from its floor to that floor; an edge the design forbids fails the test with the file and
//! line that makes it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors: the crate's top-level modules as `lib.rs` declares them, and `main`. Each must
/// be in [`ORDER`] (a new module without its place fails the test).
fn floors() -> Vec<String> {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("src/lib.rs is readable");
    let mut floors: Vec<String> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';').trim().to_string())
        .collect();
    floors.push("main".to_string());
    floors
}

/// The floors in pipeline order (DESIGN.md "Data flows one way"): each may import those before
/// it, except that `eventlog` is a branch of its own beside capture → tcp → handshake (logs go
/// input → eventlog) and may import only `model` and `input`.
const ORDER: &[&str] = &[
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

/// What a floor may import.
fn allowed(floor: &str) -> &'static [&'static str] {
    match floor {
        "eventlog" => &["model", "input"],
        _ => {
            let at = ORDER
                .iter()
                .position(|f| *f == floor)
                .unwrap_or_else(|| panic!("{floor} is not a floor of DESIGN.md: add it to ORDER"));
            &ORDER[..at]
        }
    }
}

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

/// The code of a file without its test module (`#[cfg(test)]` then `mod tests {`, which by
/// this crate's convention closes the file), comments dropped, as statements: a `use` that
/// spans lines is joined into one, numbered by its first line.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim() == "mod tests {")
        .unwrap_or(lines.len());
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut open_use: Option<(usize, String)> = None;
    for (i, line) in lines[..end].iter().enumerate() {
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        if let Some((n, mut joined)) = open_use.take() {
            joined.push(' ');
            joined.push_str(code.trim());
            if code.contains(';') {
                out.push((n, joined));
            } else {
                open_use = Some((n, joined));
            }
            continue;
        }
        let t = code.trim_start();
        let is_use =
            t.starts_with("use ") || t.starts_with("pub use ") || t.starts_with("pub(crate) use ");
        if is_use && !code.contains(';') {
            open_use = Some((i + 1, code.trim().to_string()));
        } else {
            out.push((i + 1, code.to_string()));
        }
    }
    out.extend(open_use);
    out
}

/// The floors a line names: `crate::tcp::…`, `use crate::{tcp, report::X}` and, in `main.rs`,
/// `rdptriage::tcp::…`; in a file `depth` modules below the crate root (`src/tcp/park.rs` is
/// 2), a `super::` chain that climbs to the root names a floor as `crate::` does.
fn floors_named(line: &str, root: &str, depth: usize, floors: &[String]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut prefixes = vec![(format!("{root}::"), false)];
    if depth > 0 {
        prefixes.push(("super::".repeat(depth), true));
    }
    for (prefix, chain) in prefixes {
        let mut rest = line;
        while let Some(at) = rest.find(&prefix) {
            // Only whole path starts: not `mycrate::`, nor the tail of a longer `super::` chain.
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || (chain && c == ':')) {
                continue;
            }
            found.extend(segments(rest, floors));
        }
    }
    found
}

/// The floors at the start of what follows a path's root: one name, or each top-level item of
/// a `{a, b::c, d::{e}}` group.
fn segments(rest: &str, floors: &[String]) -> Vec<String> {
    let Some(group) = rest.strip_prefix('{') else {
        return first_segment(rest, floors).into_iter().collect();
    };
    let mut found = Vec::new();
    let mut depth = 0;
    let mut item = String::new();
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                found.extend(first_segment(&item, floors));
                item.clear();
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            item.push(c);
        }
    }
    found.extend(first_segment(&item, floors));
    found
}

fn first_segment(path: &str, floors: &[String]) -> Option<String> {
    let seg: String = path
        .trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    floors.contains(&seg).then_some(seg)
}

/// Every edge between floors in the crate's code, (from, to) → the places that make it, and
/// how many code lines of each floor were read.
type Edges = BTreeMap<(String, String), Vec<String>>;

fn edges() -> (Edges, BTreeMap<String, usize>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let floors = floors();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut edges: Edges = BTreeMap::new();
    let mut read: BTreeMap<String, usize> = BTreeMap::new();
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
        // How many modules below the crate root the file is: `src/tcp/park.rs` 2,
        // `src/tcp/mod.rs` and `src/analyze.rs` 1, `main.rs` (its own crate's root) 0.
        let rel = file.strip_prefix(&src).expect("under src");
        let parts = rel.components().count();
        let depth = if floor == "main" {
            0
        } else if rel.ends_with("mod.rs") {
            parts - 1
        } else {
            parts
        };
        for (n, line) in code_lines(&text) {
            *read.entry(floor.clone()).or_default() += 1;
            for to in floors_named(&line, root, depth, &floors) {
                if to != floor {
                    let place = format!("{}:{n}: {}", file.display(), line.trim());
                    edges.entry((floor.clone(), to)).or_default().push(place);
                }
            }
        }
    }
    (edges, read)
}

#[test]
fn imports_follow_the_design() {
    let (edges, read) = edges();
    // Every floor was read, and every floor has its row of allowed imports.
    for floor in floors() {
        assert!(
            read.get(&floor).copied().unwrap_or(0) > 0,
            "no code of {floor} was read"
        );
        let _ = allowed(&floor);
    }
    assert!(
        edges.contains_key(&("analyze".into(), "report".into())),
        "the scan finds no edge at all: it reads nothing"
    );
    let mut broken = Vec::new();
    for ((from, to), places) in &edges {
        if !allowed(from).contains(&to.as_str()) {
            broken.push(format!(
                "{from} → {to} is forbidden by DESIGN.md, made at:\n    {}",
                places.join("\n    ")
            ));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn the_scan_reads_paths_as_the_compiler_does() {
    let floors = floors();
    let named = |l: &str, depth| {
        floors_named(l, "crate", depth, &floors)
            .into_iter()
            .collect::<Vec<_>>()
    };
    assert_eq!(named("use crate::tcp::{Connection, Side};", 2), ["tcp"]);
    assert_eq!(
        named("use crate::{report::{A, B}, model::Stage, diagnose};", 1),
        ["diagnose", "model", "report"]
    );
    assert_eq!(named("let x = crate::report::rfc3339(t);", 1), ["report"]);
    assert_eq!(named("use mycrate::report::X;", 1), Vec::<String>::new());
    assert_eq!(named("use crate::nothing::X;", 1), Vec::<String>::new());
    // `super::` chains that climb to the crate root, from a file two modules down.
    assert_eq!(
        named("fn f() -> super::super::report::Report", 2),
        ["report"]
    );
    assert_eq!(
        named("use super::super::{diagnose, tcp::Side};", 2),
        ["diagnose", "tcp"]
    );
    // One `super::` from two modules down stays inside the floor.
    assert_eq!(named("use super::report::X;", 2), Vec::<String>::new());
    // A `use` over several lines is read whole; comments and the test module are not.
    let code = "use crate::a;\nuse crate::{\n    report::Report, // crate::model\n    tcp,\n};\n// crate::report in a comment\n#[cfg(test)]\nmod tests {\n    use crate::report;\n}\n";
    let lines = code_lines(code);
    let numbers: Vec<usize> = lines.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 6]);
    assert_eq!(named(&lines[1].1, 1), ["report", "tcp"]);
    assert!(lines.iter().all(|(_, l)| !l.contains("model")));
}
