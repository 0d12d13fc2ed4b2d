//! WebSub (a W3C Recommendation), the subscriber's side: a feed whose upstream names a hub is
//! pushed to us the moment it changes, instead of waiting for the next poll.
//!
//! - **Discovery** (`discover`): each poll looks for the hub and the topic in the response's
//!   `Link` headers, then in the feed itself.
//! - **Subscribing** ([`subscribe`]): only with `--public-url`, which says where the hub can
//!   reach us, and only on the replica that polls. Each subscription gets an unguessable
//!   callback path (32 random bytes) and a secret of 32 random bytes, both kept in the store so
//!   that the hub's verification and its pushes may land on any replica. A lease is renewed
//!   at 80 % of its length (the lease granted is held to [`MIN_LEASE`] to [`MAX_LEASE`]); a
//!   refused or failed request is tried again after 30 s, doubling to an hour, and the log
//!   says why. A subscription that is no longer needed (a renewed one, another hub) is
//!   unsubscribed.
//! - **Verification of intent and pushes** (`callback`): `GET /websub/{path}` answers only a
//!   pending request of ours, for our topic, echoing `hub.challenge`; `POST /websub/{path}` is
//!   checked against `X-Hub-Signature` and, when it holds, makes the server fetch the feed at
//!   once (a push's body is never taken as the feed: hubs differ in what they send).
//! - **No way in**: a hub, or our own callback, on a loopback, private or link-local address
//!   is refused (`net::guard`), unless `--allow-private-hubs` says otherwise (tests).

pub mod callback;
pub mod discover;

use crate::feed::source::FeedSource;
use discover::Found;
use newswire_store::{now, ReviewStore, Subscription};
use std::sync::Arc;
use std::time::Duration;

/// The lease asked for: ten days, as long as we keep one.
pub const MAX_LEASE: i64 = 10 * 24 * 3600;
/// The shortest lease kept by default: a hub that grants less is held to this
/// (`--websub-min-lease`).
pub const MIN_LEASE: i64 = 3600;
/// How long a hub has to verify a request before it is given up.
const VERIFY_WAIT: Duration = Duration::from_secs(30);
/// The first wait after a failed subscription; it doubles to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_secs(30);
const MAX_RETRY: Duration = Duration::from_secs(3600);
/// How long one request to a hub may take.
const HUB_TIMEOUT: Duration = Duration::from_secs(10);

/// What the subscriber needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where readers reach this server (`--public-url`): callbacks are made under it.
    pub public_url: String,
    /// Hubs and callbacks on private addresses are allowed (`--allow-private-hubs`).
    pub allow_private: bool,
}

/// Random bytes as hex: a callback path or a secret.
fn random_hex(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).expect("the operating system's random numbers");
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// The callback URL of `path`.
fn callback(settings: &Settings, path: &str) -> String {
    format!(
        "{}/websub/{path}",
        settings.public_url.trim_end_matches('/')
    )
}

/// Sends `hub.mode=mode` for `subscription` to its hub; `Err` says why it was not accepted.
async fn request(
    settings: &Settings,
    subscription: &Subscription,
    mode: &'static str,
) -> Result<(), String> {
    let body = {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("hub.mode", mode)
            .append_pair("hub.topic", &subscription.topic)
            .append_pair("hub.callback", &callback(settings, &subscription.path));
        if mode == "subscribe" {
            form.append_pair("hub.secret", &subscription.secret)
                .append_pair("hub.lease_seconds", &MAX_LEASE.to_string());
        }
        form.finish()
    };
    let (hub, private) = (subscription.hub.clone(), settings.allow_private);
    let sent = tokio::task::spawn_blocking(move || {
        crate::net::guard::agent(HUB_TIMEOUT, private)
            .post(&hub)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("user-agent", "newswire-server")
            .send(body.as_bytes())
            .map(|response| response.status().as_u16())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    if (200..300).contains(&sent) {
        Ok(())
    } else {
        Err(format!("the hub answered HTTP {sent}"))
    }
}

/// Asks `found`'s hub for a subscription and waits for the hub to verify it; `Err` says why
/// there is none.
async fn subscribe_to(
    store: &Arc<dyn ReviewStore>,
    settings: &Settings,
    found: &Found,
) -> Result<(), String> {
    let subscription = Subscription {
        path: random_hex(32),
        hub: found.hub.clone(),
        topic: found.topic.clone(),
        secret: random_hex(32),
        state: "subscribe".into(),
        lease: 0,
        expires: now() + VERIFY_WAIT.as_secs() as i64,
    };
    store
        .save_subscription(&subscription)
        .await
        .map_err(|e| e.to_string())?;
    if let Err(why) = request(settings, &subscription, "subscribe").await {
        let _ = store.forget_subscription(&subscription.path).await;
        return Err(why);
    }
    let given_up = tokio::time::Instant::now() + VERIFY_WAIT;
    while tokio::time::Instant::now() < given_up {
        tokio::time::sleep(Duration::from_millis(200)).await;
        match store.subscription(&subscription.path).await {
            Ok(Some(s)) if s.state == "active" => return Ok(()),
            Ok(Some(s)) if s.state == "denied" => {
                let _ = store.forget_subscription(&s.path).await;
                return Err("the hub denied the subscription".into());
            }
            Ok(None) => return Err("the subscription was forgotten".into()),
            _ => {}
        }
    }
    let _ = store.forget_subscription(&subscription.path).await;
    Err(format!(
        "the hub did not verify the subscription within {}s",
        VERIFY_WAIT.as_secs()
    ))
}

/// Whether the host of `url` is on the public internet (every address it resolves to).
fn public_host(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else { return false };
    let port = uri.port_u16().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match std::net::ToSocketAddrs::to_socket_addrs(&(host, port)) {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            !addrs.is_empty() && addrs.iter().all(|a| crate::net::guard::is_public(a.ip()))
        }
        Err(_) => false,
    }
}

/// Keeps one verified subscription to the hub the feed names, for as long as the server runs:
/// on the replica that polls (all of them take part on SQLite, where there is one).
pub async fn subscribe(feed: Arc<FeedSource>, store: Arc<dyn ReviewStore>, settings: Settings) {
    if !settings.allow_private {
        let url = settings.public_url.clone();
        let public = tokio::task::spawn_blocking(move || public_host(&url))
            .await
            .unwrap_or(false);
        if !public {
            tracing::warn!(
                "no WebSub subscription: --public-url is on a loopback, private or link-local \
                 address, which no hub should be asked to reach (--allow-private-hubs allows it)"
            );
            return;
        }
    }
    let mut found = feed.hubs();
    let mut leading = store.leading();
    let mut retry = FIRST_RETRY;
    loop {
        if let Some(leading) = leading.as_mut() {
            if leading.wait_for(|lead| *lead).await.is_err() {
                return;
            }
        }
        let Some(target) = found.borrow_and_update().clone() else {
            feed.set_hub_fed(false);
            if found.changed().await.is_err() {
                return;
            }
            continue;
        };
        let now = now();
        let subscriptions = store.subscriptions().await.unwrap_or_default();
        let current = subscriptions.iter().find(|s| {
            s.state == "active" && s.hub == target.hub && s.topic == target.topic && s.expires > now
        });
        let wait = match current {
            // Renewed at 80 % of its lease.
            Some(s) if s.expires - s.lease / 5 > now => {
                feed.set_hub_fed(true);
                Duration::from_secs((s.expires - s.lease / 5 - now) as u64)
            }
            _ => match subscribe_to(&store, &settings, &target).await {
                Ok(()) => {
                    retry = FIRST_RETRY;
                    feed.set_hub_fed(true);
                    tracing::info!("subscribed to the feed's hub");
                    tidy(&store, &settings, &target).await;
                    Duration::ZERO
                }
                Err(why) => {
                    let wait = retry;
                    retry = (retry * 2).min(MAX_RETRY);
                    tracing::warn!(
                        "no WebSub subscription ({}); trying again in {}s",
                        crate::net::log::printable(&why),
                        wait.as_secs()
                    );
                    wait
                }
            },
        };
        if !wait.is_zero() {
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                changed = found.changed() => if changed.is_err() { return },
            }
        }
    }
}

/// After a new subscription to `target`: every other active one is unsubscribed (the hub
/// verifies that, and the callback forgets it), and requests never verified are forgotten.
async fn tidy(store: &Arc<dyn ReviewStore>, settings: &Settings, target: &Found) {
    let subscriptions = store.subscriptions().await.unwrap_or_default();
    let newest = subscriptions
        .iter()
        .find(|s| s.state == "active" && s.hub == target.hub && s.topic == target.topic)
        .map(|s| s.path.clone());
    let now = now();
    for old in subscriptions {
        if Some(&old.path) == newest.as_ref() {
            continue;
        }
        match old.state.as_str() {
            "active" => {
                let leaving = Subscription {
                    state: "unsubscribe".into(),
                    expires: now + VERIFY_WAIT.as_secs() as i64,
                    ..old.clone()
                };
                if store.save_subscription(&leaving).await.is_ok()
                    && request(settings, &leaving, "unsubscribe").await.is_err()
                {
                    let _ = store.forget_subscription(&old.path).await;
                }
            }
            _ if old.expires <= now => {
                let _ = store.forget_subscription(&old.path).await;
            }
            _ => {}
        }
    }
}
