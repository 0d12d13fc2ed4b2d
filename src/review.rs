//! What a reader's review is on the wire, and what can go wrong sending it.

use serde::{Deserialize, Serialize};

/// The longest comment, in characters; the server enforces the same limit.
pub const MAX_COMMENT: usize = 1000;

/// The JSON body posted to the review endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewPayload {
    pub rating: u8,
    pub comment: String,
    /// The id of the first headline: what the reader was looking at.
    pub subject: String,
    /// `location.href` of the partner page.
    pub page: String,
    /// A random id per submission, kept across retries, so a retry never stores twice.
    pub key: String,
}

/// The server's answer to a stored review.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReviewReceipt {
    pub id: i64,
}

/// The server's JSON body on a 4xx.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReviewRejection {
    #[serde(default)]
    pub error: String,
}

/// Why a review was not stored. The draft is kept in every case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    /// The reader has not picked a star rating yet.
    #[error("Choose a rating from 1 to 5 stars first.")]
    MissingRating,
    /// The review service could not be reached.
    #[error("The review could not be sent. Check your connection and try again.")]
    Network,
    /// No answer in time; the request was aborted.
    #[error("The review service took too long to answer. Please try again.")]
    Timeout,
    /// The server refused the review and said why.
    #[error("The review was not accepted: {0}")]
    Rejected(String),
    /// The server failed or answered with something we do not understand.
    #[error("The review service had a problem (HTTP {0}). Please try again.")]
    Server(u16),
}
