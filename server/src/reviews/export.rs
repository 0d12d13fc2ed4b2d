//! `newswire-server reviews export`: every review as CSV or JSON, for the publisher, one row
//! at a time.
//!
//! The CSV quotes every text cell (RFC 4180) and guards spreadsheets against formula
//! injection in every locale. A spreadsheet may split a cell further than RFC 4180 does: at a
//! comma, at the `;` that is the list separator in de, fr, ru, tr or az locales, at a tab, and
//! at a line break, which starts a new row. Every piece a split can produce that would start
//! with `=`, `+`, `-` or `@` (after spaces and quotes) gets a `'` before that character, so
//! it is read as text whichever way the file is opened. The JSON keeps every text exactly.

use newswire_store::Review;

/// The CSV's first line.
pub const CSV_HEADER: &str = "id,created_at,rating,hidden,subject,page,comment\r\n";

/// Where a spreadsheet may start a new cell or row.
const SEPARATORS: [char; 5] = [',', ';', '\t', '\r', '\n'];
/// What makes a cell a formula.
const TRIGGERS: [char; 4] = ['=', '+', '-', '@'];

/// One review as a CSV line.
pub fn csv_row(r: &Review) -> String {
    let cells = [
        r.id.to_string(),
        r.created_at.to_string(),
        r.rating.to_string(),
        r.hidden.to_string(),
        text_cell(&r.subject),
        text_cell(&r.page),
        text_cell(&r.comment),
    ];
    cells.join(",") + "\r\n"
}

/// A quoted cell, defused wherever a spreadsheet could read a formula in it.
fn text_cell(value: &str) -> String {
    format!("\"{}\"", defuse(value).replace('"', "\"\""))
}

/// `value` with a `'` before every formula trigger that starts a piece of it: at the start,
/// or after a separator, past any spaces and quotes.
pub fn defuse(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let mut piece_start = true;
    for c in value.chars() {
        if SEPARATORS.contains(&c) {
            piece_start = true;
        } else if piece_start && TRIGGERS.contains(&c) {
            out.push('\'');
            piece_start = false;
        } else if c != ' ' && c != '"' {
            piece_start = false;
        }
        out.push(c);
    }
    out
}

/// One review as an element of the JSON array.
pub fn json_row(r: &Review) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|_| "null".into())
}

/// The framing of an export, once for the command line and the console: the CSV header or
/// the JSON array's brackets, and each row with what goes before it.
#[derive(Debug, Clone, Copy)]
pub struct Writer {
    json: bool,
    first: bool,
}

impl Writer {
    pub fn new(json: bool) -> Self {
        Writer { json, first: true }
    }

    /// What opens the export.
    pub fn opening(&self) -> &'static str {
        if self.json {
            "["
        } else {
            CSV_HEADER
        }
    }

    /// One review, with the separator that goes before it.
    pub fn row(&mut self, review: &Review) -> String {
        if !self.json {
            return csv_row(review);
        }
        let separator = if std::mem::take(&mut self.first) {
            "\n"
        } else {
            ",\n"
        };
        format!("{separator}{}", json_row(review))
    }

    /// What closes the export.
    pub fn closing(&self) -> &'static str {
        match (self.json, self.first) {
            (false, _) => "",
            (true, true) => "]\n",
            (true, false) => "\n]\n",
        }
    }
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

    /// Formula injection payloads, in the ways a spreadsheet in any locale can split them.
    const CORPUS: &[&str] = &[
        "=1+1",
        "+1",
        "-2",
        "@SUM(A1)",
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "=cmd|' /C calc'!A0",
        "x;=2*3;y",
        "x,=2*3,y",
        "x\t=2*3\ty",
        "first line\n=2*3",
        "first line\r\n+2*3",
        "carriage\r-1",
        "a; =1",
        "a;  \"=1",
        "a;\"\"@x",
        "\t=1",
        "\r=1",
        " =1",
        "\"=1\"",
        ";;;=1",
        ",,,@1",
        "ok;ok;=IMPORTXML(A1)",
        "Great paper; +1 from me",
        "-",
        "@",
        "==",
        "x;-",
        "note\n\n@everyone",
        "a\u{a0};=1",
        "😀;=1",
        "=1;=2,=3\t=4\n=5",
    ];

    /// What Excel or LibreOffice could make of a line: split at every separator, RFC 4180
    /// quoting ignored.
    fn formula_pieces(line: &str) -> Vec<String> {
        line.split(SEPARATORS)
            .map(|piece| piece.trim_start_matches([' ', '"']).to_owned())
            .filter(|piece| piece.starts_with(TRIGGERS))
            .collect()
    }

    #[test]
    fn no_piece_of_any_cell_starts_a_formula_however_it_is_split() {
        for payload in CORPUS {
            // Assemble: the payload in every text cell.
            let mut r = review(payload);
            r.subject = payload.to_string();
            r.page = payload.to_string();
            // Action.
            let row = csv_row(&r);
            // Assert: the raw payload would inject; the exported row does not.
            assert!(
                !formula_pieces(payload).is_empty(),
                "the corpus entry {payload:?} should be dangerous on its own"
            );
            assert_eq!(
                formula_pieces(&row),
                Vec::<String>::new(),
                "{payload:?} → {row:?}"
            );
            // Nothing is lost: only quotes were added.
            assert_eq!(
                defuse(payload).replace('\'', ""),
                payload.replace('\'', ""),
                "{payload:?}"
            );
        }
    }

    #[test]
    fn the_writer_frames_an_empty_and_a_full_export() {
        let empty = Writer::new(true);
        assert_eq!(format!("{}{}", empty.opening(), empty.closing()), "[]\n");
        let mut json = Writer::new(true);
        let out = format!(
            "{}{}{}{}",
            json.opening(),
            json.row(&review("a")),
            json.row(&review("b")),
            json.closing()
        );
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed.len(), 2);
        let mut csv = Writer::new(false);
        assert_eq!(csv.opening(), CSV_HEADER);
        assert!(csv.row(&review("a")).ends_with("\r\n"));
        assert_eq!(csv.closing(), "");
    }

    #[test]
    fn csv_quotes_and_leaves_ordinary_text_alone() {
        let out = CSV_HEADER.to_owned()
            + &csv_row(&review("Said \"great\", then left\nfor good"))
            + &csv_row(&review("fine - really"))
            + &csv_row(&review("=HYPERLINK(\"http://evil.example\")"));
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0], "id,created_at,rating,hidden,subject,page,comment");
        assert_eq!(
            lines[1],
            "7,1700000000,4,false,\"lead-1\",\"https://partner.example/a,b\",\"Said \"\"great\"\", then left\nfor good\""
        );
        assert!(lines[2].ends_with(",\"fine - really\""));
        assert!(lines[3].ends_with(",\"'=HYPERLINK(\"\"http://evil.example\"\")\""));
    }

    #[test]
    fn json_keeps_every_field_exactly() {
        let out: serde_json::Value = serde_json::from_str(&json_row(&review("=1;x"))).unwrap();
        assert_eq!(out["comment"], "=1;x");
        assert_eq!(out["hidden"], false);
        assert_eq!(out["created_at"], 1_700_000_000);
    }
}
