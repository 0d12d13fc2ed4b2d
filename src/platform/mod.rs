//! What the widget asks of its host platform: link checks, HTML to text, date formatting,
//! randomness and logging.
//!
//! In the browser (`web.rs`) each of these is a call into what the browser already ships
//! (`URL`, `DOMParser`, `Intl`, `crypto`), so none of that logic is compiled into the wasm.
//! The native build (`native.rs`) exists for the server-side render tests and mirrors the
//! browser's answers closely enough for them.

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(target_arch = "wasm32")]
mod web;

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;
#[cfg(target_arch = "wasm32")]
pub use web::*;
