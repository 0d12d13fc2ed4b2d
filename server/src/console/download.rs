//! `/admin/export.csv` and `/admin/export.json`: the current filter's reviews, streamed a
//! page at a time by the one export writer the command line uses too.

use super::*;

pub(super) async fn export_csv(
    State(state): State<AppState>,
    _: SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    export(state, params, false).await
}

pub(super) async fn export_json(
    State(state): State<AppState>,
    _: SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    export(state, params, true).await
}

/// The reviews of the current filter, newest first, streamed a page at a time: the same rows
/// as the list shows, in the same form as `newswire-server reviews export`.
pub(super) async fn export(
    state: AppState,
    params: HashMap<String, String>,
    json: bool,
) -> Response {
    let filter = Filters::read(&params).filter;
    let store = state.store.clone();
    // (cursor, the export's framing, done)
    let start = (None::<i64>, Writer::new(json), false);
    let stream = futures_util::stream::unfold(start, move |(before, mut writer, done)| {
        let (store, filter) = (store.clone(), filter.clone());
        async move {
            if done {
                return None;
            }
            let opening = if before.is_none() {
                writer.opening()
            } else {
                ""
            };
            match store.find(filter, before, 500).await {
                Err(err) => Some((Err(std::io::Error::other(err)), (before, writer, true))),
                Ok(page) => {
                    let last = page.last().map(|r| r.id);
                    let mut chunk = String::from(opening);
                    for review in &page {
                        chunk.push_str(&writer.row(review));
                    }
                    let finished = page.len() < 500;
                    if finished {
                        chunk.push_str(writer.closing());
                    }
                    Some((Ok(Bytes::from(chunk)), (last.or(before), writer, finished)))
                }
            }
        }
    });
    let (content_type, name) = if json {
        ("application/json", "reviews.json")
    } else {
        ("text/csv; charset=utf-8", "reviews.csv")
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
