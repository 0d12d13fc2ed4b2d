//! The widget's state, changed only through [`Action`]s in one reducer.
//!
//! Components dispatch actions and run effects (fetches, submissions); the reducer itself is
//! pure, so every change of state can be read, and tested natively, in this one file.

use crate::feed::{FeedError, Live};
use crate::news::News;
use crate::review::{ReviewError, MAX_COMMENT};
use std::rc::Rc;
use yew::Reducible;

/// Roughly how many characters scroll past per second: slow enough to read.
const CHARS_PER_SECOND: usize = 7;

/// How long one loop of the ticker takes, in seconds: set on the track through the CSSOM
/// (which a partner's strict style-src allows, unlike a `style` attribute), by the wasm here
/// and, for the server's HTML, by the loader from the state, so that hydration keeps the
/// animation where it is.
pub fn ticker_seconds(headlines: &[crate::news::Story]) -> u32 {
    let chars: usize = headlines.iter().map(|s| s.title.chars().count() + 4).sum();
    (chars / CHARS_PER_SECOND).max(12) as u32
}

/// Where the feed is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FeedState {
    #[default]
    Loading,
    Ready(Rc<News>),
    Failed(FeedError),
}

/// Where the reader's review is.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ReviewStatus {
    /// Being written.
    #[default]
    Editing,
    /// Posted; waiting for the answer.
    Sending,
    /// Stored by the server under this id.
    Stored(i64),
    /// Not stored; the draft is kept for a retry.
    Failed(ReviewError),
}

/// The reader's review as they write it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReviewDraft {
    pub rating: Option<u8>,
    pub comment: String,
    /// Set on the first send and kept across retries, so the server stores it once.
    pub key: Option<String>,
    pub status: ReviewStatus,
}

/// What the widget's polite live region says: the latest change a reader should hear of
/// without looking for it. Never the first load, which is the page itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Announce {
    #[default]
    Nothing,
    /// A refresh added this many stories and briefs.
    NewItems(u32),
    /// The review's status: sending, thanks, or what went wrong.
    Review,
}

/// Everything one widget instance shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WidgetState {
    pub feed: FeedState,
    /// Counts requested fetches; each new value starts one (the first load is 0).
    pub fetches: u32,
    /// When the feed on screen was last confirmed current, in ms since the epoch.
    pub updated_at: f64,
    /// The latest refresh failed, so what is on screen may be out of date.
    pub stale: bool,
    pub ticker_paused: bool,
    pub review: ReviewDraft,
    /// The public review summary, `(average, count)`, when `show-rating` asked for it.
    pub rating: Option<(f64, u32)>,
    pub announce: Announce,
    /// The feed's live stream and the revision on screen, when its server has one.
    pub live: Option<Live>,
    /// The latest revision the stream announced: a fetch asks for it (or later).
    pub wanted: u64,
    /// The reader's pointer is over the widget, or the focus is in it: the news waits.
    pub pointer: bool,
    pub focus: bool,
    /// News that arrived while the reader was in the widget, shown once they leave, so that
    /// nothing moves under their pointer or focus.
    pub waiting: Option<(Rc<News>, f64)>,
}

/// Where a widget that takes over the server's HTML starts: what the server rendered with
/// (its news, the feed's ETag, the public rating) and what the reader did to the page
/// before the wasm came (a star picked, a comment typed). The first render from here is
/// the server's, node for node, so hydration changes nothing the reader sees.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Initial {
    pub news: Rc<News>,
    /// The ETag of the feed the news came from, for the first conditional refresh.
    pub etag: Option<String>,
    /// The public summary, `(average, count)`, when the server rendered it.
    pub rating: Option<(f64, u32)>,
    /// The star the reader picked before the wasm came.
    pub stars: Option<u8>,
    /// The comment the reader typed before the wasm came.
    pub comment: String,
    /// The feed's live stream and the revision the news is of, when the server has one.
    pub live: Option<Live>,
}

impl Initial {
    /// The hydration state the server sends beside its HTML, as JSON that may stand inside a
    /// `<script type="application/json">` (no `<` at all): `{"news": …, "etag": …,
    /// "rating": [average, count], "ticker": seconds}`. Written with serde by the server;
    /// read back by [`Initial::read`] in the wasm. Both sides live here, in the widget code
    /// whose hash the release and the server compare, so that a change to either shows.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn write(&self) -> String {
        let mut state = serde_json::json!({
            "news": &*self.news,
            "etag": self.etag,
            "ticker": ticker_seconds(&self.news.headlines),
        });
        // Left out when there is none: every byte of the state is before first content.
        if let Some(rating) = self.rating {
            state["rating"] = serde_json::json!(rating);
        }
        if let Some(live) = &self.live {
            state["stream"] = live.stream.clone().into();
            state["revision"] = live.revision.into();
        }
        state.to_string().replace('<', "\\u003c")
    }

    /// The state the server wrote, without the reader's draft (which the page holds); `None`
    /// when it is not such an object. Lenient field by field, as a feed is, through the
    /// browser's `JSON.parse`.
    pub fn read(state: &crate::platform::Json) -> Option<Initial> {
        let news = News::from_state(&state.get("news")?)?;
        let rating = state
            .get("rating")
            .and_then(|r| r.elements(2))
            .and_then(|r| {
                let average = r.first()?.as_f64()?;
                let count = r.get(1)?.as_f64()?;
                Some((average, count as u32))
            });
        let live = state
            .get("stream")
            .and_then(|s| s.as_string())
            .and_then(|stream| {
                let revision = state.get("revision")?.as_f64()?;
                Some(Live {
                    stream,
                    revision: revision as u64,
                })
            });
        Some(Initial {
            news: Rc::new(news),
            etag: state.get("etag").and_then(|e| e.as_string()),
            rating,
            live,
            ..Initial::default()
        })
    }
}

impl WidgetState {
    /// The state the server rendered, at `at` (ms since the epoch), with the reader's
    /// draft.
    pub fn hydrated(initial: &Initial, at: f64) -> WidgetState {
        WidgetState {
            feed: FeedState::Ready(initial.news.clone()),
            updated_at: at,
            rating: initial.rating,
            live: initial.live.clone(),
            review: ReviewDraft {
                rating: initial.stars.filter(|n| (1..=5).contains(n)),
                comment: initial.comment.chars().take(MAX_COMMENT).collect(),
                ..ReviewDraft::default()
            },
            ..WidgetState::default()
        }
    }
}

/// Every change of state, named for what happened or what the reader did.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Ask for a fetch: the refresh timer, or the reader's retry.
    RefreshFeed,
    /// A (re)load of the feed started.
    LoadFeed,
    /// The widget now shows another feed: back to loading, with nothing to compare.
    SwitchFeed,
    /// A new copy of the feed arrived at `at` (ms since the epoch), with its stream and
    /// revision when its server has one.
    FeedLoaded {
        news: Rc<News>,
        at: f64,
        live: Option<Live>,
    },
    /// The server confirmed at `at` that the feed on screen is current.
    FeedUnchanged {
        at: f64,
        live: Option<Live>,
    },
    /// The stream announced this revision: fetch it, unless it is on screen already.
    Announced(u64),
    /// The reader's pointer came into the widget (true) or left it.
    Pointer(bool),
    /// The focus came into the widget (true) or left it.
    Focus(bool),
    FeedFailed(FeedError),
    PauseTicker,
    ResumeTicker,
    RateReview(u8),
    EditComment(String),
    /// The reader pressed send (or retry); `key` is used unless the draft already has one.
    SubmitReview {
        key: String,
    },
    ReviewStored(i64),
    ReviewFailed(ReviewError),
    /// After a stored review, start a fresh one.
    StartNewReview,
    /// The public review summary arrived.
    RatingLoaded {
        average: f64,
        count: u32,
    },
}

impl WidgetState {
    /// Whether the reader is in the widget, so that new news waits.
    fn held(&self) -> bool {
        self.pointer || self.focus
    }

    /// Keeps the stream and revision a load came with; a load without them (a server that
    /// no longer says) keeps what was known.
    fn note(&mut self, live: Option<Live>) {
        if live.is_some() {
            self.live = live;
        }
    }
}

impl Reducible for WidgetState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        let review = &mut next.review;
        match action {
            Action::RefreshFeed => next.fetches = next.fetches.wrapping_add(1),
            Action::LoadFeed => {
                // Keep what is on screen while a refresh runs; show loading only at first.
                if !matches!(next.feed, FeedState::Ready(_)) {
                    next.feed = FeedState::Loading;
                }
            }
            Action::SwitchFeed => {
                next.feed = FeedState::Loading;
                next.stale = false;
                next.announce = Announce::Nothing;
            }
            Action::FeedLoaded { news, at, live } => {
                next.note(live);
                // The reader is in the widget: the news waits until they leave.
                if next.held() && matches!(next.feed, FeedState::Ready(_)) {
                    next.waiting = Some((news, at));
                    return Rc::new(next);
                }
                next.waiting = None;
                // Only a refresh has something to compare with; the first load marks nothing.
                let news = match &next.feed {
                    FeedState::Ready(old) => {
                        let news = (*news).clone().marked_new_since(old);
                        let added = news.headlines.iter().filter(|s| s.new).count()
                            + news.briefs.iter().filter(|b| b.new).count();
                        next.announce = match added {
                            0 => Announce::Nothing,
                            n => Announce::NewItems(n as u32),
                        };
                        Rc::new(news)
                    }
                    _ => news,
                };
                next.feed = FeedState::Ready(news);
                next.updated_at = at;
                next.stale = false;
            }
            Action::FeedUnchanged { at, live } => {
                next.note(live);
                next.updated_at = at;
                next.stale = false;
            }
            Action::Announced(revision) => {
                let on_screen = next.live.as_ref().map_or(0, |l| l.revision);
                if revision <= on_screen.max(next.wanted) {
                    return self;
                }
                next.wanted = revision;
                next.fetches = next.fetches.wrapping_add(1);
            }
            Action::Pointer(inside) | Action::Focus(inside) => {
                if matches!(action, Action::Pointer(_)) {
                    next.pointer = inside;
                } else {
                    next.focus = inside;
                }
                if !next.held() {
                    if let Some((news, at)) = next.waiting.take() {
                        let live = next.live.clone();
                        return Rc::new(next).reduce(Action::FeedLoaded { news, at, live });
                    }
                }
            }
            Action::FeedFailed(error) => {
                if matches!(next.feed, FeedState::Ready(_)) {
                    next.stale = true;
                } else {
                    next.feed = FeedState::Failed(error);
                }
            }
            Action::PauseTicker => next.ticker_paused = true,
            Action::ResumeTicker => next.ticker_paused = false,
            Action::RateReview(stars) if (1..=5).contains(&stars) => {
                if review.status != ReviewStatus::Sending {
                    if review.rating != Some(stars) {
                        // A changed review is a new submission: it gets a new key.
                        review.key = None;
                    }
                    review.rating = Some(stars);
                    review.status = ReviewStatus::Editing;
                }
            }
            Action::RateReview(_) => return self,
            Action::EditComment(text) => {
                if review.status != ReviewStatus::Sending {
                    review.comment = text.chars().take(MAX_COMMENT).collect();
                    // A changed review is a new submission: it gets a new key.
                    review.key = None;
                    review.status = ReviewStatus::Editing;
                }
            }
            Action::SubmitReview { key } => {
                match (review.rating, &review.status) {
                    (_, ReviewStatus::Sending | ReviewStatus::Stored(_)) => return self,
                    (None, _) => review.status = ReviewStatus::Failed(ReviewError::MissingRating),
                    (Some(_), _) => {
                        review.key.get_or_insert(key);
                        review.status = ReviewStatus::Sending;
                    }
                }
                next.announce = Announce::Review;
            }
            Action::ReviewStored(id) => {
                review.status = ReviewStatus::Stored(id);
                next.announce = Announce::Review;
            }
            Action::ReviewFailed(error) => {
                review.status = ReviewStatus::Failed(error);
                next.announce = Announce::Review;
            }
            Action::StartNewReview => {
                *review = ReviewDraft::default();
                next.announce = Announce::Nothing;
            }
            Action::RatingLoaded { average, count } => next.rating = Some((average, count)),
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(actions: impl IntoIterator<Item = Action>) -> Rc<WidgetState> {
        actions
            .into_iter()
            .fold(Rc::new(WidgetState::default()), |s, a| s.reduce(a))
    }

    fn loaded(news: &Rc<News>, at: f64) -> Action {
        Action::FeedLoaded {
            news: news.clone(),
            at,
            live: None,
        }
    }

    #[test]
    fn a_hydrated_widget_starts_where_the_server_and_the_reader_left_it() {
        let news = Rc::new(News {
            title: "Agency".into(),
            ..News::default()
        });
        let initial = Initial {
            news: news.clone(),
            etag: Some("\"v1\"".into()),
            rating: Some((4.5, 12)),
            stars: Some(4),
            comment: "x".repeat(MAX_COMMENT + 5),
            live: None,
        };
        let state = Rc::new(WidgetState::hydrated(&initial, 7.0));
        assert_eq!(state.feed, FeedState::Ready(news));
        assert_eq!((state.updated_at, state.rating), (7.0, Some((4.5, 12))));
        assert_eq!(state.review.rating, Some(4));
        assert_eq!(state.review.comment.chars().count(), MAX_COMMENT);
        assert_eq!(state.announce, Announce::Nothing);
        // The reader's draft goes on as if it had been typed here.
        let sent = state.reduce(Action::SubmitReview { key: "k".into() });
        assert_eq!(sent.review.status, ReviewStatus::Sending);
        let bad = WidgetState::hydrated(
            &Initial {
                stars: Some(9),
                ..Initial::default()
            },
            0.0,
        );
        assert_eq!(bad.review.rating, None);
    }

    #[test]
    fn a_failed_refresh_keeps_the_news_on_screen_and_marks_it_stale() {
        let news = Rc::new(News::default());
        let state = run([
            loaded(&news, 1000.0),
            Action::LoadFeed,
            Action::FeedFailed(FeedError::Timeout),
        ]);
        assert_eq!(state.feed, FeedState::Ready(news.clone()));
        assert!(state.stale);
        assert_eq!(state.updated_at, 1000.0);
        let recovered = run([
            loaded(&news, 1000.0),
            Action::FeedFailed(FeedError::Timeout),
            Action::FeedUnchanged {
                at: 5000.0,
                live: None,
            },
        ]);
        assert!(!recovered.stale);
        assert_eq!(recovered.updated_at, 5000.0);
        let first = run([Action::LoadFeed, Action::FeedFailed(FeedError::Status(500))]);
        assert_eq!(first.feed, FeedState::Failed(FeedError::Status(500)));
        let retried = run([Action::FeedFailed(FeedError::Network), Action::LoadFeed]);
        assert_eq!(retried.feed, FeedState::Loading);
    }

    #[test]
    fn a_refresh_marks_only_the_items_it_adds_as_new() {
        let news = brief_news;
        let first = run([loaded(&news(&["a", "b"]), 1.0)]);
        let FeedState::Ready(shown) = &first.feed else {
            panic!("not ready")
        };
        assert!(
            shown.briefs.iter().all(|b| !b.new),
            "a first load marks nothing"
        );
        assert_eq!(first.announce, Announce::Nothing, "nor announces anything");
        let refreshed = run([
            loaded(&news(&["a", "b"]), 1.0),
            loaded(&news(&["c", "a"]), 2.0),
        ]);
        let FeedState::Ready(shown) = &refreshed.feed else {
            panic!("not ready")
        };
        let marks: Vec<_> = shown
            .briefs
            .iter()
            .map(|b| (b.id.as_str(), b.new))
            .collect();
        assert_eq!(marks, [("c", true), ("a", false)]);
        assert_eq!(refreshed.announce, Announce::NewItems(1));
        let same = run([
            loaded(&news(&["a", "b"]), 1.0),
            loaded(&news(&["c", "a"]), 2.0),
            loaded(&news(&["c", "a"]), 3.0),
        ]);
        assert_eq!(same.announce, Announce::Nothing);
        assert_eq!(run([Action::RefreshFeed, Action::RefreshFeed]).fetches, 2);
    }

    #[test]
    fn the_ticker_pauses_and_resumes() {
        assert!(run([Action::PauseTicker]).ticker_paused);
        assert!(!run([Action::PauseTicker, Action::ResumeTicker]).ticker_paused);
    }

    #[test]
    fn a_review_without_a_rating_is_not_sent() {
        let state = run([Action::SubmitReview { key: "k".into() }]);
        assert_eq!(
            state.review.status,
            ReviewStatus::Failed(ReviewError::MissingRating)
        );
        assert_eq!(state.review.key, None);
    }

    #[test]
    fn a_failed_review_keeps_its_draft_and_key_for_the_retry() {
        // Assemble.
        let sent = [
            Action::RateReview(4),
            Action::EditComment("Clear and fair.".into()),
            Action::SubmitReview {
                key: "first".into(),
            },
            Action::ReviewFailed(ReviewError::Network),
        ];
        // Action.
        let retried = run(sent.iter().cloned().chain([Action::SubmitReview {
            key: "second".into(),
        }]));
        // Assert.
        assert_eq!(retried.review.rating, Some(4));
        assert_eq!(retried.review.comment, "Clear and fair.");
        assert_eq!(retried.review.key.as_deref(), Some("first"));
        assert_eq!(retried.review.status, ReviewStatus::Sending);
    }

    #[test]
    fn a_changed_rating_or_comment_after_a_failure_is_a_new_submission() {
        let failed = [
            Action::RateReview(4),
            Action::SubmitReview {
                key: "first".into(),
            },
            Action::ReviewFailed(ReviewError::Timeout),
        ];
        let same = run(failed.iter().cloned().chain([
            Action::RateReview(4),
            Action::SubmitReview {
                key: "second".into(),
            },
        ]));
        assert_eq!(same.review.key.as_deref(), Some("first"));
        let rerated = run(failed.iter().cloned().chain([
            Action::RateReview(5),
            Action::SubmitReview {
                key: "second".into(),
            },
        ]));
        assert_eq!(rerated.review.key.as_deref(), Some("second"));
        let edited = run(failed.iter().cloned().chain([
            Action::EditComment("more".into()),
            Action::SubmitReview {
                key: "third".into(),
            },
        ]));
        assert_eq!(edited.review.key.as_deref(), Some("third"));
    }

    #[test]
    fn sending_locks_the_draft_and_a_stored_review_can_be_followed_by_another() {
        let sending = run([
            Action::RateReview(5),
            Action::SubmitReview { key: "a".into() },
            Action::RateReview(1),
            Action::EditComment("changed".into()),
            Action::SubmitReview { key: "b".into() },
        ]);
        assert_eq!(sending.review.rating, Some(5));
        assert_eq!(sending.review.comment, "");
        assert_eq!(sending.review.key.as_deref(), Some("a"));
        let again = run([
            Action::RateReview(5),
            Action::SubmitReview { key: "a".into() },
            Action::ReviewStored(7),
            Action::StartNewReview,
        ]);
        assert_eq!(again.review, ReviewDraft::default());
        assert_eq!(again.announce, Announce::Nothing);
    }

    #[test]
    fn switching_feeds_starts_from_loading_so_nothing_is_marked_new() {
        let news = Rc::new(News::default());
        let state = run([loaded(&news, 1.0), Action::SwitchFeed, Action::LoadFeed]);
        assert_eq!(state.feed, FeedState::Loading);
        let FeedState::Ready(shown) =
            &run([loaded(&news, 1.0), Action::SwitchFeed, loaded(&news, 2.0)]).feed
        else {
            panic!("not ready")
        };
        assert!(shown.briefs.iter().all(|b| !b.new));
    }

    #[test]
    fn each_step_of_a_review_is_announced_but_typing_is_not() {
        let step = |actions: Vec<Action>| run(actions).announce;
        assert_eq!(step(vec![Action::RateReview(3)]), Announce::Nothing);
        assert_eq!(
            step(vec![Action::SubmitReview { key: "k".into() }]),
            Announce::Review
        );
        assert_eq!(
            step(vec![
                Action::RateReview(3),
                Action::SubmitReview { key: "k".into() },
                Action::ReviewFailed(ReviewError::Timeout),
            ]),
            Announce::Review
        );
    }

    #[test]
    fn ratings_outside_one_to_five_and_overlong_comments_are_refused() {
        assert_eq!(run([Action::RateReview(0)]).review.rating, None);
        assert_eq!(run([Action::RateReview(6)]).review.rating, None);
        let long = run([Action::EditComment("é".repeat(1500))]);
        assert_eq!(long.review.comment.chars().count(), MAX_COMMENT);
    }

    fn brief_news(ids: &[&str]) -> Rc<News> {
        Rc::new(News {
            briefs: ids
                .iter()
                .map(|id| crate::news::Brief {
                    id: (*id).into(),
                    title: Some((*id).into()),
                    text: String::new(),
                    published: None,
                    date_only: false,
                    datetime: None,
                    link: None,
                    lang: None,
                    new: false,
                })
                .collect(),
            ids: ids.iter().map(|id| crate::news::id_key(id)).collect(),
            ..News::default()
        })
    }

    #[test]
    fn an_announced_revision_is_fetched_once_and_only_when_newer() {
        let live = |revision| {
            Some(Live {
                stream: "/feed/events".into(),
                revision,
            })
        };
        let shown = run([Action::FeedLoaded {
            news: brief_news(&["a"]),
            at: 1.0,
            live: live(7),
        }]);
        let fetches = shown.fetches;
        // On screen already, or older: nothing to fetch.
        let same = shown.clone().reduce(Action::Announced(7));
        assert_eq!(same.fetches, fetches);
        assert_eq!(shown.clone().reduce(Action::Announced(3)).fetches, fetches);
        // Newer: one fetch, asking for it; the same announcement again starts no other.
        let newer = shown.reduce(Action::Announced(9));
        assert_eq!((newer.fetches, newer.wanted), (fetches + 1, 9));
        assert_eq!(
            newer.clone().reduce(Action::Announced(9)).fetches,
            fetches + 1
        );
        // A load that came without a stream keeps the one known.
        let kept = newer.reduce(Action::FeedUnchanged {
            at: 2.0,
            live: None,
        });
        assert_eq!(kept.live, live(7));
    }

    #[test]
    fn news_waits_while_the_reader_points_or_types_in_the_widget_and_comes_when_they_leave() {
        let first = brief_news(&["a"]);
        let second = brief_news(&["b", "a"]);
        let start = run([
            loaded(&first, 1.0),
            Action::Pointer(true),
            Action::Focus(true),
        ]);
        let held = start.reduce(loaded(&second, 2.0));
        assert_eq!(held.feed, FeedState::Ready(first.clone()), "nothing moves");
        assert_eq!(held.announce, Announce::Nothing);
        let still = held.reduce(Action::Pointer(false));
        assert_eq!(
            still.feed,
            FeedState::Ready(first),
            "the focus is still in it"
        );
        let shown = still.reduce(Action::Focus(false));
        let FeedState::Ready(news) = &shown.feed else {
            panic!("not ready")
        };
        assert_eq!(news.briefs.len(), 2);
        assert!(news.briefs[0].new && !news.briefs[1].new);
        assert_eq!(shown.announce, Announce::NewItems(1));
        assert_eq!(shown.waiting, None);
        // The first news of all is never held: there is nothing on screen to keep still.
        let empty = run([Action::Pointer(true), loaded(&brief_news(&["a"]), 1.0)]);
        assert!(matches!(empty.feed, FeedState::Ready(_)));
    }
}
