//! newswire-server: the publisher's side of Newswire.
//!
//! One axum router ([`router`]) serves the feed and the widget rendered from it (`feed`),
//! the built widget and the demo pages (`assets`), the review API (`reviews`), the
//! publisher's console (`console`) and the probes and metrics (`health`), all sharing one
//! [`AppState`] ([`state`]). Reviews are kept by the `store` crate (SQLite, or PostgreSQL
//! shared by several replicas); `net` stands between the clients and the handlers. `cli`
//! reads the command line and builds the rest; `main.rs` only calls it.

pub mod assets;
pub mod cli;
pub mod console;
pub mod feed;
pub mod health;
pub mod net;
pub mod reviews;
pub mod router;
pub mod state;

/// Where reviews live: the `newswire-store` crate.
pub use newswire_store as store;
pub use router::{router, serve};
pub use state::{AppState, Policy};
