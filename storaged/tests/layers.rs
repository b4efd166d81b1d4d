//! storaged's modules form layers, and a module imports only from its own
//! layer or those below (see the `engine` module's doc). This reads every
//! source file and fails naming the file and the import when one reaches
//! up, so the layering cannot silently regress.

use std::path::{Path, PathBuf};

/// Top to bottom. A module not listed here fails the test: place it.
const LAYERS: &[&[&str]] = &[
    &["daemon", "config"],
    &["api", "web"],
    &["engine", "collector"],
    &["state", "reconcile", "sharing", "auth", "upgrade"],
    &[
        "zfs",
        "lio",
        "nfs",
        "samba",
        "drives",
        "tls",
        "notify",
        "runner",
        "platform",
        "var_source",
        "roots",
        "netif",
        "ssh",
    ],
    &["util", "names"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules `text` names as `crate::X`, with the offset of
/// each, including the ones inside `use crate::{X, Y::{Z}}` groups.
fn crate_modules(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("crate::") {
        let start = from + at;
        from = start + "crate::".len();
        // `ironstor_contract::`, `my_crate::`: another crate's path.
        if text[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[from..];
        let Some(group) = rest.strip_prefix('{') else {
            found.push((start, first_segment(rest)));
            continue;
        };
        let mut depth = 0;
        let mut item = String::new();
        for c in group.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    found.push((start, first_segment(&item)));
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        found.push((start, first_segment(&item)));
    }
    found.retain(|(_, m)| !m.is_empty());
    found
}

/// `text` with every `//` comment line blanked (line numbers kept).
fn without_comment_lines(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("//") {
                ""
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// Every import below `src` that reaches a higher layer (or a module in
/// no layer), as `file:line: what`.
fn layering_problems(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap();
        let module = first.as_os_str().to_string_lossy();
        let module = module.trim_end_matches(".rs");
        // Binaries sit above every layer; the crate root only declares.
        if matches!(module, "bin" | "main" | "lib") {
            continue;
        }
        // Test code may start the whole daemon (the fixture harness does).
        let is_test = relative
            .iter()
            .any(|part| part == "tests" || part == "tests.rs");
        if is_test {
            continue;
        }
        let Some(own) = layer_of(module) else {
            problems.push(format!(
                "{}: module {module} is in no layer of tests/layers.rs",
                relative.display()
            ));
            continue;
        };
        let text = without_comment_lines(&std::fs::read_to_string(file).unwrap());
        for (offset, used) in crate_modules(&text) {
            let line = text[..offset].matches('\n').count() + 1;
            match layer_of(&used) {
                Some(layer) if layer < own => problems.push(format!(
                    "{}:{line}: {module} imports the higher layer's crate::{used}",
                    relative.display(),
                )),
                Some(_) => {}
                None => problems.push(format!(
                    "{}:{line}: crate::{used} is in no layer of tests/layers.rs",
                    relative.display(),
                )),
            }
        }
    }
    problems
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let problems = layering_problems(&src);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_upward_import_is_named_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("sharing")).unwrap();
    std::fs::write(
        src.join("sharing/mod.rs"),
        "//! use crate::api::Shared; (a comment)\nuse crate::{\n    state::DesiredState,\n    api::Shared,\n};\n",
    )
    .unwrap();
    std::fs::write(src.join("zfs.rs"), "use crate::util::error_chain;\n").unwrap();
    std::fs::write(src.join("gadget.rs"), "use crate::names::PoolName;\n").unwrap();
    let problems = layering_problems(src);
    assert_eq!(
        problems,
        [
            "gadget.rs: module gadget is in no layer of tests/layers.rs",
            "sharing/mod.rs:2: sharing imports the higher layer's crate::api",
        ]
    );
}

#[test]
fn imports_are_found_in_groups_and_paths() {
    let modules =
        |text: &str| -> Vec<String> { crate_modules(text).into_iter().map(|(_, m)| m).collect() };
    assert_eq!(modules("use crate::api::{self, AppState};"), ["api"]);
    assert_eq!(
        modules("use crate::{\n    names::PoolName,\n    zfs::{self, Plan},\n    util,\n};"),
        ["names", "zfs", "util"]
    );
    assert_eq!(modules("let x = crate::util::error_chain(&e);"), ["util"]);
    assert!(modules("use ironstor_contract::Slot;").is_empty());
}
