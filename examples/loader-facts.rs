//! Prints the loader's copy of the widget's attribute facts (`config::loader_facts`), for
//! `scripts/stamp-facts.mjs` to write into `www/embed.js` at build time.

fn main() {
    print!("{}", newswire::config::loader_facts());
}
