//! What stands between a client and the handlers: the accept loop and its connection caps
//! (`connections`), rate limits (`limits`), the origin allow-list (`origins`), and the
//! headers every route shares (`http`), and the error answers every domain gives (`errors`).

pub mod connections;
pub mod errors;
pub mod guard;
pub mod http;
pub mod limits;
pub mod log;
pub mod metrics;
pub mod origins;
pub mod proxies;
