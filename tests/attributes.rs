//! One list of attributes: `config::ATTRIBUTES` is the truth, and the loader, the TypeScript
//! declarations, the configurator and docs/embedding.md must say the same.

use newswire::config::{
    loader_facts, ATTRIBUTES, CHOICES, DEFAULT_MAX_BRIEFS, MAX_BRIEFS_LIMIT, RENDERED,
};
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

/// The loader keeps no list of its own: the build writes `config::loader_facts` over the
/// placeholder in www/loader/facts.js (scripts/bundle-loader.mjs), and those facts are
/// config's; no other module of either stage writes one.
#[test]
fn the_loader_gets_its_attribute_facts_from_config_and_writes_none_by_hand() {
    let facts_module = read("www/loader/facts.js");
    assert_eq!(facts_module.matches("/* @@NEWSWIRE_FACTS@@ */").count(), 1);
    let modules = std::fs::read_dir("www/loader").expect("www/loader");
    let mut read_any = 0;
    for entry in modules {
        let path = entry.expect("a module").path();
        let name = path.display().to_string();
        let source = read(&name);
        read_any += 1;
        for list in ["ATTRIBUTES", "RENDERED", "SECTIONS", "CHOICES", "BRIEFS"] {
            assert!(
                !source.contains(&format!("var {list} =")),
                "{name} writes {list} by hand"
            );
        }
        assert!(
            !source.contains("'comfortable'"),
            "{name}: a choice written by hand"
        );
    }
    assert!(read_any >= 4, "the loader's modules");
    let facts = loader_facts();
    assert_eq!(js_array(&facts, "var ATTRIBUTES = ["), ATTRIBUTES);
    let rendered = js_array(&facts, "var RENDERED = [");
    assert_eq!(rendered, RENDERED);
    for (name, values) in CHOICES {
        assert!(ATTRIBUTES.contains(name), "{name}");
        assert!(facts.contains(&format!("'{name}': ['{}'", values.join("', '"))));
    }
    assert!(rendered.iter().all(|r| ATTRIBUTES.contains(&r.as_str())));
    assert!(facts.contains(&format!(
        "var BRIEFS = [1, {MAX_BRIEFS_LIMIT}, {DEFAULT_MAX_BRIEFS}];"
    )));
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

/// The configurator "writes the tag for your choices": it sets every attribute, each with a
/// control of that name on its form, and none that does not exist.
#[test]
fn the_configurator_sets_every_attribute_with_a_control_of_its_own() {
    let names: BTreeSet<String> = js_array(&read("www/configurator.js"), "var NAMES = [")
        .into_iter()
        .collect();
    assert_eq!(names, ours(), "configurator.js");
    let form = read("www/configurator.html");
    for name in ATTRIBUTES {
        assert!(
            form.contains(&format!("name=\"{name}\"")),
            "configurator.html has no control for {name}"
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
