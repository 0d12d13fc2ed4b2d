//! The feed: where it comes from (`source`), how its bytes become text (`decode`) and JSON
//! Feed (`convert`), what is served (`json`: `GET /feed.json`), what each revision changed
//! (`live`) and the stream of them (`events`: `GET /feed/events`), and the widget rendered
//! from it (`render`, with the renders kept in `renders`); and the hub that pushes it to us
//! (`websub`).

pub mod convert;
pub mod decode;
pub mod events;
pub mod json;
pub mod live;
pub mod render;
pub mod renders;
pub mod source;
pub mod websub;
