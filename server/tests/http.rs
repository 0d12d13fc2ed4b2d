//! The server over real TCP, with a real SQLite file: every route and status the widget
//! and partners rely on, one file per part of the server (`tests/http/`).

mod support;

mod http {
    mod assets;
    mod console;
    mod feed;
    mod net;
    mod render;
    mod reviews;
}
