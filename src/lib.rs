//! Newswire: a news agency's headlines, politics briefs and a review prompt, embedded on
//! partner pages with one script tag.
//!
//! The crate is layered so that each part can be read, and tested, on its own:
//! - [`date`] is the calendar arithmetic both crates share.
//! - [`feed`] holds the JSON Feed models and parser; [`news`] turns a feed into what the view
//!   shows; [`review`] is the review's wire format. All three are plain Rust.
//! - [`config`] reads the host element's attributes; [`i18n`] holds the words, per language.
//! - [`state`] is the one reducer; [`components`] are the Yew views, one per file.
//! - [`services`] does all network I/O; [`platform`] reaches the browser's own APIs.
//! - `entry` (wasm only) is the thin `#[wasm_bindgen]` surface that the loader calls.

pub mod components;
pub mod config;
pub mod date;
pub mod feed;
pub mod hooks;
pub mod i18n;
pub mod news;
pub mod platform;
pub mod review;
pub mod services;
pub mod state;

#[cfg(target_arch = "wasm32")]
mod entry;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: the widget's wasm runs on the page's one thread only.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
