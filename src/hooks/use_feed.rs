//! The feed: loaded when the widget starts, when its source changes (the element's `feed`,
//! `category` or `max-briefs`), and when a refresh is asked for.

use super::spawn;
use crate::config::Config;
use crate::feed::FeedError;
use crate::news;
use crate::platform;
use crate::services::{self, feed::Fetched, Cancel};
use crate::state::{Action, WidgetState};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// What was last fetched (feed, category, number of briefs), and the ETag it came with.
pub type Fetches = (Option<(String, String, usize)>, Option<String>);

/// Loads the feed into `state`. `refresh` changes when the page asks for a refresh
/// (`Newswire.refresh()`); `from_server` is the ETag of the news the server rendered, when
/// the widget took over its HTML: that first load is skipped, and the next is conditional.
#[hook]
pub fn use_feed(
    state: UseReducerHandle<WidgetState>,
    config: Rc<Config>,
    refresh: u32,
    from_server: Option<Option<String>>,
) {
    // What was last fetched, and its ETag, so that a refresh of an unchanged feed is a
    // bodiless 304.
    let fetched = use_mut_ref(Fetches::default);
    let from_server = use_mut_ref(|| from_server);
    // A changed feed, category or number of briefs (the element's attributes changed)
    // loads again, in full: a 304 would not select the briefs anew.
    let source = (
        config.feed.clone(),
        config.category.clone(),
        config.max_briefs,
    );
    use_effect_with((state.fetches, refresh, source), move |(_, _, source)| {
        let cancel = Cancel::new();
        let mut last = fetched.borrow_mut();
        if last.0.as_ref() != Some(source) {
            // Another feed starts from "Loading", so that none of it is marked new.
            if last.0.as_ref().is_some_and(|last| last.0 != source.0) {
                state.dispatch(Action::SwitchFeed);
            }
            *last = (Some(source.clone()), None);
        }
        let from_server = from_server.borrow_mut().take();
        if let Some(etag) = &from_server {
            last.1 = etag.clone();
        }
        let sent = last.1.clone();
        drop(last);
        if from_server.is_none() {
            // A revision the stream announced is asked for by name, so that no cache on the
            // way answers with an older copy (the server answers with it or a later one).
            let on_screen = state.live.as_ref().map_or(0, |l| l.revision);
            let url = if state.wanted > on_screen {
                platform::with_revision(&config.feed, state.wanted)
            } else {
                config.feed.clone()
            };
            state.dispatch(Action::LoadFeed);
            spawn(load(config, url, sent, state, fetched, cancel.clone()));
        }
        // The widget gone, or a newer load started: this one's request (or its pause
        // between retries) is aborted, and its outcome never reaches the state.
        move || cancel.abort()
    });
}

/// Fetches the feed from `url` (conditionally, with `sent`) and hands the outcome to the
/// reducer, unless `cancel` was aborted.
async fn load(
    config: Rc<Config>,
    url: String,
    sent: Option<String>,
    state: UseReducerHandle<WidgetState>,
    fetched: Rc<RefCell<Fetches>>,
    cancel: Cancel,
) {
    let Some(result) = services::feed::fetch_feed(&url, sent.as_deref(), &cancel).await else {
        return;
    };
    if cancel.aborted() {
        return;
    }
    let at = platform::now_ms();
    match result {
        Ok(Fetched::Fresh {
            feed,
            etag: fresh,
            live,
        }) => {
            fetched.borrow_mut().1 = fresh;
            let news = news::select(&feed, &config.category, config.max_briefs);
            state.dispatch(Action::FeedLoaded {
                news: Rc::new(news),
                at,
                live,
            });
        }
        Ok(Fetched::Unchanged { live }) => state.dispatch(Action::FeedUnchanged { at, live }),
        Err(error) => {
            // A host that exposes the ETag but refuses the If-None-Match preflight fails
            // every conditional request: ask plainly next time.
            if error == FeedError::Network {
                fetched.borrow_mut().1 = None;
            }
            state.dispatch(Action::FeedFailed(error))
        }
    }
}
