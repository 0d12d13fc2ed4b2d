//! One list of attributes: `config::ATTRIBUTES` is the truth, and the loader, the TypeScript
//! declarations, the configurator and docs/embedding.md must say the same.

use newswire::config::ATTRIBUTES;
use std::collections::BTreeSet;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The quoted names in the JavaScript array that follows `start` in `text`.
fn js_array(text: &str, start: &str) -> Vec<String> {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
    let body = &text[from..from + text[from..].find(']').expect("the array ends")];
    body.split(',')
        .map(|item| item.trim().trim_matches(['\'', '"']).to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

fn ours() -> BTreeSet<String> {
    ATTRIBUTES.iter().map(|a| a.to_string()).collect()
}

#[test]
fn the_loader_watches_exactly_the_attributes_in_their_order() {
    let loader = js_array(&read("www/embed.js"), "var ATTRIBUTES = [");
    assert_eq!(loader, ATTRIBUTES, "www/embed.js");
}

#[test]
fn the_typescript_declarations_name_every_attribute() {
    let dts = read("www/newswire.d.ts");
    let start = dts
        .find("export interface NewswireAttributes {")
        .expect("the interface");
    let body = &dts[start..start + dts[start..].find("\n}").expect("its end")];
    let declared: BTreeSet<String> = body
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("/**") && !line.starts_with("export"))
        .filter_map(|line| line.split_once(':').map(|(name, _)| name))
        .map(|name| name.trim_end_matches('?').trim_matches('\'').to_owned())
        .collect();
    assert_eq!(declared, ours(), "www/newswire.d.ts");
}

#[test]
fn the_configurator_sets_only_attributes_that_exist() {
    let names = js_array(&read("www/configurator.js"), "var NAMES = [");
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        assert!(
            ATTRIBUTES.contains(&name.as_str()),
            "configurator.js: unknown {name}"
        );
    }
}

#[test]
fn the_readme_documents_every_attribute() {
    let readme = read("docs/embedding.md");
    let start = readme
        .find("| attribute | meaning | default |")
        .expect("the table");
    let rows: BTreeSet<String> = readme[start..]
        .lines()
        .skip(2)
        .take_while(|line| line.starts_with("| `"))
        .filter_map(|line| line.split('`').nth(1).map(str::to_owned))
        .collect();
    assert_eq!(rows, ours(), "docs/embedding.md");
}
