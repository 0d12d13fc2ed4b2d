//! Prints the loader's copy of the widget's attribute facts (`config::loader_facts`), for
//! `scripts/bundle-loader.mjs` to write into `www/loader/facts.js` as it bundles the loader.

fn main() {
    print!("{}", newswire::config::loader_facts());
}
