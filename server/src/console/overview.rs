//! `/admin/overview`: counts, ratings and reviews per day, per partner site, per story, and
//! where the widget is shown.

use super::*;

/// A group's row in the overview's tables.
pub(super) struct GroupRow {
    pub(super) name: String,
    pub(super) count: i64,
    pub(super) average: String,
    pub(super) iso: String,
    pub(super) utc: String,
}

pub(super) fn group_row(group: &Group, name: String) -> GroupRow {
    let (iso, utc) = newswire::date::utc(group.last);
    GroupRow {
        name,
        count: group.count,
        average: format!("{:.2}", group.average),
        iso,
        utc,
    }
}

pub(super) struct ViewRow {
    pub(super) day: String,
    pub(super) origin: String,
    pub(super) feed: i64,
    pub(super) widget: i64,
    pub(super) rendered: i64,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
pub(super) struct OverviewPage {
    pub(super) nav: Nav,
    pub(super) stats: store::Stats,
    pub(super) average: String,
    pub(super) days: i64,
    pub(super) ratings: Vec<(String, i64)>,
    pub(super) ratings_chart: String,
    pub(super) per_day: Vec<(String, i64)>,
    pub(super) days_chart: String,
    pub(super) partners: Vec<GroupRow>,
    pub(super) stories: Vec<GroupRow>,
    pub(super) views: Vec<ViewRow>,
}

/// `GET /admin/overview?days=30|90`.
pub(super) async fn overview(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let days: i64 = if params.get("days").map(String::as_str) == Some("90") {
        90
    } else {
        30
    };
    let today = store::now().div_euclid(86_400);
    let first = today - days + 1;
    let (stats, views) = match (
        state.store.stats(first).await,
        state.store.views(first).await,
    ) {
        (Ok(stats), Ok(views)) => (stats, views),
        (Err(err), _) | (_, Err(err)) => return store_failure_page(&err),
    };
    // This replica's counts that have not reached the store yet.
    let views = state.views.merged(views, first);
    let titles = titles(&state).await;
    let ratings: Vec<(String, i64)> = (1..=5)
        .rev()
        .map(|n| {
            let label = if n == 1 {
                "1 star".to_owned()
            } else {
                format!("{n} stars")
            };
            (label, stats.ratings[n - 1])
        })
        .collect();
    render(
        StatusCode::OK,
        OverviewPage {
            nav: Nav {
                signed_in: true,
                page: "overview",
                csrf: session.csrf,
            },
            average: stats
                .average
                .map_or_else(|| "none yet".to_owned(), |a| format!("{a:.2}")),
            ratings_chart: charts::bars("Reviews by rating", &ratings),
            days_chart: charts::columns(
                &format!("Reviews per day, last {days} days"),
                first,
                today,
                &stats.per_day,
            ),
            per_day: stats
                .per_day
                .iter()
                .map(|(day, count)| (newswire::date::day_date(*day), *count))
                .collect(),
            partners: stats
                .partners
                .iter()
                .map(|g| {
                    let name = if g.name.is_empty() {
                        "Unattributed".to_owned()
                    } else {
                        g.name.clone()
                    };
                    group_row(g, name)
                })
                .collect(),
            stories: stats
                .stories
                .iter()
                .map(|g| group_row(g, story_name(&g.name, &titles)))
                .collect(),
            views: views
                .into_iter()
                .map(|v| ViewRow {
                    day: newswire::date::day_date(v.day),
                    origin: v.origin,
                    feed: v.feed,
                    widget: v.widget,
                    rendered: v.rendered,
                })
                .collect(),
            ratings,
            days,
            stats,
        },
    )
}
