//! `newswire-server reviews export`: every review as CSV or JSON, for the publisher.
//!
//! The CSV quotes every text cell (RFC 4180), and guards spreadsheets against formula
//! injection: a cell a reader wrote that starts with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a leading `'`, so it is read as text.

use crate::store::Review;

/// The reviews as CSV, with a header row.
pub fn csv(reviews: &[Review]) -> String {
    let mut out = String::from("id,created_at,rating,hidden,subject,page,comment\r\n");
    for r in reviews {
        let cells = [
            r.id.to_string(),
            r.created_at.to_string(),
            r.rating.to_string(),
            r.hidden.to_string(),
            text_cell(&r.subject),
            text_cell(&r.page),
            text_cell(&r.comment),
        ];
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A quoted cell, defused if a spreadsheet would read it as a formula.
fn text_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// The reviews as a JSON array.
pub fn json(reviews: &[Review]) -> String {
    serde_json::to_string_pretty(reviews).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(comment: &str) -> Review {
        Review {
            id: 7,
            rating: 4,
            comment: comment.into(),
            subject: "lead-1".into(),
            page: "https://partner.example/a,b".into(),
            created_at: 1_700_000_000,
            hidden: false,
        }
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let out = csv(&[
            review("Said \"great\", then left\nfor good"),
            review("=HYPERLINK(\"http://evil.example\")"),
            review("+1"),
            review("-2"),
            review("@SUM(A1)"),
            review("fine - really"),
        ]);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0], "id,created_at,rating,hidden,subject,page,comment");
        assert_eq!(
            lines[1],
            "7,1700000000,4,false,\"lead-1\",\"https://partner.example/a,b\",\"Said \"\"great\"\", then left\nfor good\""
        );
        assert!(lines[2].ends_with(",\"'=HYPERLINK(\"\"http://evil.example\"\")\""));
        assert!(lines[3].ends_with(",\"'+1\""));
        assert!(lines[4].ends_with(",\"'-2\""));
        assert!(lines[5].ends_with(",\"'@SUM(A1)\""));
        assert!(lines[6].ends_with(",\"fine - really\""));
    }

    #[test]
    fn json_keeps_every_field() {
        let out: serde_json::Value = serde_json::from_str(&json(&[review("ok")])).unwrap();
        assert_eq!(out[0]["comment"], "ok");
        assert_eq!(out[0]["hidden"], false);
        assert_eq!(out[0]["created_at"], 1_700_000_000);
    }
}
