//! The docs hold to what a reader needs of them: every link to a file points at a file in
//! this repository, and no table cell runs on past what a reader takes in at a glance (the
//! detail goes in the text under the table).

use std::path::{Path, PathBuf};

/// The longest table cell, in characters.
const MAX_CELL: usize = 200;

/// The README and every file in `docs/`.
fn documents() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = vec![
        root.join("README.md"),
        root.join("packages/widget/README.md"),
    ];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    all.extend(docs);
    all
}

/// The targets of the Markdown links in `text`: `[words](target)`.
fn links(text: &str) -> Vec<String> {
    text.split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target.to_owned()))
        .collect()
}

#[test]
fn every_link_to_a_file_points_inside_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .unwrap();
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for target in links(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            if file.is_empty() {
                continue;
            }
            let path = doc.parent().unwrap().join(file);
            let resolved = path
                .canonicalize()
                .unwrap_or_else(|_| panic!("{}: {target} is not a file here", doc.display()));
            assert!(
                resolved.starts_with(&root),
                "{}: {target} points outside the repository",
                doc.display()
            );
        }
    }
}

#[test]
fn no_table_cell_runs_past_two_hundred_characters() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        for (n, line) in text.lines().enumerate() {
            if !line.starts_with('|') {
                continue;
            }
            // A pipe inside backticks (`a\|b`) is part of its cell.
            let line = line.replace("\\|", "¦");
            for cell in line.trim_matches('|').split('|') {
                let length = cell.trim().chars().count();
                assert!(
                    length <= MAX_CELL,
                    "{} line {}: a cell of {length} characters",
                    doc.display(),
                    n + 1
                );
            }
        }
    }
}
