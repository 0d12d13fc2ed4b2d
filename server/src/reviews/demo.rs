//! The demo's sample reviews: what `make demo` stores on its first start (`--seed-demo`), so
//! that a newcomer opens a console with something in it. Written by us for the imaginary
//! agency of the sample feed; the stories are that feed's ids, the partner sites are made up.

use newswire_store::{NewReview, ReviewStore, StoreError};

/// (days ago, hour, rating, partner page, story, comment, hidden)
const SAMPLES: &[(i64, i64, u8, &str, &str, &str, bool)] = &[
    (
        0,
        9,
        5,
        "https://riverside-gazette.example/local/towpath",
        "hw-2026-1127-lead",
        "Clear and quick. The rail vote was exactly what I wanted to know before work.",
        false,
    ),
    (
        0,
        8,
        4,
        "https://quay-herald.example/news",
        "hw-2026-1127-budget",
        "Good round-up. A line on what quarterly publishing costs would help.",
        false,
    ),
    (
        1,
        19,
        3,
        "https://riverside-gazette.example/",
        "hw-2026-1126-mayor",
        "Useful, though the evening questions piece left out the time.",
        false,
    ),
    (
        1,
        12,
        5,
        "https://hillside-courier.example/politics",
        "hw-2026-1126-turnout",
        "Turnout figures at a glance, thank you.",
        false,
    ),
    (
        2,
        17,
        2,
        "https://quay-herald.example/news",
        "hw-2026-1125-ombudsman",
        "Too short. Which permit offices?",
        false,
    ),
    (
        3,
        10,
        4,
        "https://hillside-courier.example/",
        "hw-2026-1124-youth",
        "Nice to see the youth council covered at all.",
        false,
    ),
    (
        5,
        14,
        1,
        "https://quay-herald.example/offers",
        "hw-2026-1127-lead",
        "Visit my shop for cheap watches!!!",
        true,
    ),
    (
        6,
        9,
        5,
        "https://riverside-gazette.example/az/",
        "hw-2026-1123-petition",
        "Çox faydalı, qısa və aydın.",
        false,
    ),
    (
        9,
        20,
        4,
        "https://hillside-courier.example/politics",
        "hw-2026-1122-hearing",
        "Коротко и по делу.",
        false,
    ),
    (
        12,
        7,
        3,
        "https://riverside-gazette.example/",
        "hw-2026-1127-ferry",
        "",
        false,
    ),
    (
        17,
        13,
        5,
        "https://quay-herald.example/tr/",
        "hw-2026-1126-market",
        "Kısa ve net, teşekkürler.",
        false,
    ),
    (
        24,
        18,
        4,
        "https://riverside-gazette.example/local",
        "hw-2026-1125-football",
        "مفيد وسريع.",
        false,
    ),
    (
        38,
        11,
        2,
        "https://hillside-courier.example/",
        "hw-2026-1124-youth",
        "The ticker moves a little fast for me.",
        false,
    ),
    (
        61,
        16,
        5,
        "https://quay-herald.example/news",
        "hw-2026-1127-lead",
        "The best local round-up I read.",
        false,
    ),
];

/// When each sample was written, for a seed at `now`: its day and hour. Seeded early in the
/// day, today's samples would lie ahead, so then every sample moves back together, the newest
/// to ten minutes ago: none is in the future, and the gaps between them stay.
fn times(now: i64) -> Vec<i64> {
    let today = now.div_euclid(86_400) * 86_400;
    let at: Vec<i64> = SAMPLES
        .iter()
        .map(|(days, hour, ..)| today - days * 86_400 + hour * 3600)
        .collect();
    let newest = at.iter().copied().max().unwrap_or(now);
    let back = (newest - (now - 600)).max(0);
    at.into_iter().map(|t| t - back).collect()
}

/// Stores the samples when `store` holds no review yet; how many it stored.
pub async fn seed(store: &dyn ReviewStore) -> Result<usize, StoreError> {
    if store.summary().await?.count > 0
        || !store
            .find(newswire_store::Filter::default(), None, 1)
            .await?
            .is_empty()
    {
        return Ok(0);
    }
    let times = times(newswire_store::now());
    // Oldest first, so that ids follow time as they do for real reviews.
    for ((_, _, rating, page, subject, comment, hidden), at) in SAMPLES.iter().zip(times).rev() {
        let id = store
            .insert(NewReview {
                rating: *rating,
                comment: (*comment).into(),
                subject: (*subject).into(),
                page: (*page).into(),
                // The demo allows these made-up partner sites (`make demo`'s allow-list).
                partner: newswire_store::origin_of(page),
                key: None,
                at: Some(at),
            })
            .await?;
        if *hidden {
            store.set_hidden(id, true).await?;
        }
    }
    Ok(SAMPLES.len())
}

/// The allow-list `make demo` starts with: the sites the sample reviews come from.
pub const PARTNERS: &str = include_str!("../../demo-partners.txt");

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeded at 02:40 UTC (today's samples are dated 08:00 and 09:00) and at 23:00: never a
    /// review in the future, and the newest first in the list as before.
    #[test]
    fn no_sample_is_dated_in_the_future_whatever_the_hour() {
        let day = 20_430 * 86_400;
        for now in [day + 2 * 3600 + 40 * 60, day + 23 * 3600] {
            let times = times(now);
            assert!(times.iter().all(|t| *t <= now), "{times:?} at {now}");
            assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
            assert!(
                times[0] > now - 86_400,
                "the newest is still today's or last night's"
            );
        }
    }

    #[test]
    fn every_sample_comes_from_a_site_the_demo_allows() {
        use crate::net::origins::{parse, parse_file, Origins};
        let allowed = Origins::new(
            parse_file(PARTNERS)
                .into_iter()
                .map(|(_, entry)| parse(&entry).unwrap())
                .collect(),
        );
        for (_, _, _, page, _, _, _) in SAMPLES {
            assert!(
                allowed.allows(&newswire_store::origin_of(page)),
                "{page} is not in demo-partners.txt"
            );
        }
    }
}
