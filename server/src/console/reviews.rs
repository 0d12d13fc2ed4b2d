//! `/admin/reviews`: the list, newest first, filtered and paged, and moderation (hide and
//! show, one at a time or in bulk).

use super::*;

/// `POST /admin/reviews/hide`.
pub(super) async fn hide(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    addressed: Addressed,
    headers: HeaderMap,
    body: Body,
) -> Response {
    moderate(state, session, addressed, headers, body, true).await
}

/// `POST /admin/reviews/show`.
pub(super) async fn show(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    addressed: Addressed,
    headers: HeaderMap,
    body: Body,
) -> Response {
    moderate(state, session, addressed, headers, body, false).await
}

/// Hides or shows the review of the row's button (`one`), else every checked one (`ids`),
/// then goes back to the same list.
pub(super) async fn moderate(
    state: AppState,
    session: Session,
    addressed: Addressed,
    headers: HeaderMap,
    body: Body,
    hidden: bool,
) -> Response {
    let fields = match posted(&state, &session, &addressed, &headers, body).await {
        Ok(fields) => fields,
        Err(refusal) => return refusal,
    };
    let ids: Vec<i64> = match field(&fields, "one") {
        Some(one) => one.parse().into_iter().collect(),
        None => fields
            .iter()
            .filter(|(n, _)| n == "ids")
            .filter_map(|(_, v)| v.parse().ok())
            .collect(),
    };
    for id in ids {
        if let Err(err) = state.store.set_hidden(id, hidden).await {
            return store_failure_page(&err);
        }
    }
    // Only back to a list of ours.
    let back = field(&fields, "back")
        .filter(|b| b.starts_with("/admin/reviews") && !b.contains("//") && !b.contains('\\'))
        .unwrap_or("/admin/reviews");
    Redirect::to(back).into_response()
}

/// The reviews page's filters, as the query string has them.
pub(super) struct Filters {
    pub(super) filter: Filter,
    pub(super) status: &'static str,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) text: String,
    /// The query string that gives these filters again (`?…`, or empty).
    pub(super) query: String,
}

impl Filters {
    pub(super) fn read(params: &HashMap<String, String>) -> Filters {
        let get = |name: &str| {
            params
                .get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let (visibility, status) = match get("status").as_deref() {
            Some("visible") => (Visibility::Visible, "visible"),
            Some("hidden") => (Visibility::Hidden, "hidden"),
            _ => (Visibility::All, "all"),
        };
        let from = get("from").and_then(|d| newswire::date::date_day(&d));
        let to = get("to").and_then(|d| newswire::date::date_day(&d));
        let filter = Filter {
            rating: get("rating")
                .and_then(|r| r.parse().ok())
                .filter(|r| (1..=5).contains(r)),
            visibility,
            from: from.map(|d| d * 86_400),
            // The whole of the last day.
            to: to.map(|d| (d + 1) * 86_400),
            partner: get("partner"),
            story: get("story"),
            text: get("q"),
        };
        let mut query = form_urlencoded::Serializer::new(String::new());
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(r) = filter.rating {
            pairs.push(("rating", r.to_string()));
        }
        if status != "all" {
            pairs.push(("status", status.to_owned()));
        }
        let from = from.map(newswire::date::day_date).unwrap_or_default();
        let to = to.map(newswire::date::day_date).unwrap_or_default();
        if !from.is_empty() {
            pairs.push(("from", from.clone()));
        }
        if !to.is_empty() {
            pairs.push(("to", to.clone()));
        }
        if let Some(p) = &filter.partner {
            pairs.push(("partner", p.clone()));
        }
        if let Some(s) = &filter.story {
            pairs.push(("story", s.clone()));
        }
        if let Some(q) = &filter.text {
            pairs.push(("q", q.clone()));
        }
        for (name, value) in &pairs {
            query.append_pair(name, value);
        }
        let query = query.finish();
        Filters {
            text: filter.text.clone().unwrap_or_default(),
            filter,
            status,
            from,
            to,
            query: if query.is_empty() {
                String::new()
            } else {
                format!("?{query}")
            },
        }
    }
}

/// A review as a row of the list.
pub(super) struct Row {
    pub(super) id: i64,
    pub(super) rating: u8,
    pub(super) stars: String,
    pub(super) comment: String,
    pub(super) page: String,
    /// The page as a link, only when it is an http(s) address.
    pub(super) link: Option<String>,
    pub(super) story: String,
    pub(super) iso: String,
    pub(super) utc: String,
    pub(super) hidden: bool,
}

/// A story in the filter's menu: its id, and its headline while the feed still has it.
pub(super) struct Story {
    pub(super) id: String,
    pub(super) label: String,
}

#[derive(Template)]
#[template(path = "console/reviews.html")]
pub(super) struct ReviewsPage {
    pub(super) nav: Nav,
    pub(super) filter: Filter,
    /// The rating menu: value, label, chosen.
    pub(super) ratings: Vec<(u8, &'static str, bool)>,
    pub(super) status: &'static str,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) text: String,
    pub(super) query: String,
    pub(super) back: String,
    pub(super) partners: Vec<String>,
    pub(super) stories: Vec<Story>,
    pub(super) rows: Vec<Row>,
    pub(super) next: Option<String>,
}

/// The headline of each item the feed still has, by id, read with the widget's own feed
/// model (ids coerced and deduplicated as the widget does).
pub(super) async fn titles(state: &AppState) -> HashMap<String, String> {
    let Some(served) = state.feed.current().await else {
        return HashMap::new();
    };
    let feed = newswire::feed::parse(&String::from_utf8_lossy(&served.body)).unwrap_or_default();
    feed.items
        .into_iter()
        .filter_map(|item| Some((item.id, item.title?.trim().to_owned())))
        .collect()
}

/// A story's name: its headline (and id) while the feed has it, else its id.
pub(super) fn story_name(id: &str, titles: &HashMap<String, String>) -> String {
    match titles.get(id) {
        _ if id.is_empty() => "(none)".to_owned(),
        Some(title) if !title.is_empty() => format!("{title} ({id})"),
        _ => id.to_owned(),
    }
}

pub(super) fn row(review: Review, titles: &HashMap<String, String>) -> Row {
    let (iso, utc) = newswire::date::utc(review.created_at);
    let rating = review.rating.min(5);
    let link = (!store::origin_of(&review.page).is_empty()).then(|| review.page.clone());
    Row {
        id: review.id,
        rating,
        stars: "★".repeat(rating.into()) + &"☆".repeat((5 - rating).into()),
        story: story_name(&review.subject, titles),
        comment: review.comment,
        page: review.page,
        link,
        iso,
        utc,
        hidden: review.hidden,
    }
}

/// `GET /admin/reviews`.
pub(super) async fn reviews(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let filters = Filters::read(&params);
    let before = params.get("before").and_then(|b| b.parse().ok());
    let found = state.store.find(filters.filter.clone(), before, PAGE).await;
    let stats = state.store.stats(store::now() / 86_400).await;
    let (found, stats) = match (found, stats) {
        (Ok(found), Ok(stats)) => (found, stats),
        (Err(err), _) | (_, Err(err)) => return store_failure_page(&err),
    };
    let titles = titles(&state).await;
    let next = (found.len() == PAGE)
        .then(|| found.last().map(|r| r.id))
        .flatten()
        .map(|last| {
            let joiner = if filters.query.is_empty() { '?' } else { '&' };
            format!("{}{joiner}before={last}", filters.query)
        });
    let back = format!(
        "/admin/reviews{}",
        match before {
            Some(b) if filters.query.is_empty() => format!("?before={b}"),
            Some(b) => format!("{}&before={b}", filters.query),
            None => filters.query.clone(),
        }
    );
    let mut partners: Vec<String> = stats
        .partners
        .into_iter()
        .map(|g| g.name)
        .filter(|name| !name.is_empty())
        .collect();
    partners.sort();
    let stories = stats
        .stories
        .iter()
        .map(|g| Story {
            label: story_name(&g.name, &titles),
            id: g.name.clone(),
        })
        .collect();
    render(
        StatusCode::OK,
        ReviewsPage {
            nav: Nav {
                signed_in: true,
                page: "reviews",
                csrf: session.csrf,
            },
            rows: found.into_iter().map(|r| row(r, &titles)).collect(),
            ratings: [
                (5, "5 stars"),
                (4, "4 stars"),
                (3, "3 stars"),
                (2, "2 stars"),
                (1, "1 star"),
            ]
            .into_iter()
            .map(|(n, label)| (n, label, filters.filter.rating == Some(n)))
            .collect(),
            filter: filters.filter,
            status: filters.status,
            from: filters.from,
            to: filters.to,
            text: filters.text,
            query: filters.query,
            back,
            partners,
            stories,
            next,
        },
    )
}
