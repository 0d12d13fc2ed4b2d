//! The server with a real SQLite file: every route and status the widget and partners rely
//! on, one file per part of the server (`tests/http/`). Routes are called through
//! `Router::oneshot` (`Server::request`); where the socket matters (deadlines, connection
//! limits, permits held by open connections) they go over real TCP (`Server::request_tcp`
//! and raw streams).

mod support;

mod http {
    mod assets;
    mod console;
    mod feed;
    mod live;
    mod net;
    mod render;
    mod reviews;
}
