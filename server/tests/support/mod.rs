//! What the server's integration tests share: the server in this process (`app`), the real
//! binary started on a free port (`server`), and a throwaway PostgreSQL cluster (`pg`).
//! Each test crate uses a part of it.

#![allow(dead_code, unused_imports)]

pub mod app;
pub mod pg;
pub mod server;
