//! The console's charts, drawn here as SVG: no chart library, no script, nothing from a CDN.
//! Colours come from classes that the console's stylesheet sets for light and dark, and each
//! chart is an image with a name; its numbers are in the data table beside it, which is what
//! a screen reader reads.

/// Escapes text for SVG (the labels are ours, but the habit is cheap).
fn text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar per `(label, value)`, named `name`.
pub fn bars(name: &str, rows: &[(String, i64)]) -> String {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1) as f64;
    let (row, label_width, width) = (28.0, 70.0, 320.0);
    let height = row * rows.len() as f64 + 8.0;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {total} {height}" role="img" aria-label="{name}" preserveAspectRatio="xMinYMin meet">"#,
        total = label_width + width + 50.0,
        name = text(name),
    );
    for (n, (label, value)) in rows.iter().enumerate() {
        let y = 4.0 + n as f64 * row;
        let bar = (*value as f64 / max * width).max(if *value > 0 { 2.0 } else { 0.0 });
        svg.push_str(&format!(
            r#"<text class="label" x="0" y="{ty}">{label}</text><rect class="bar" x="{label_width}" y="{y}" width="{bar:.1}" height="{h}" rx="3"/><text class="value" x="{vx:.1}" y="{ty}">{value}</text>"#,
            ty = y + row * 0.62,
            label = text(label),
            h = row - 8.0,
            vx = label_width + bar + 6.0,
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// A column per day from `first` to `last` (days since the epoch), `counts` giving the days
/// that have any; named `name`.
pub fn columns(name: &str, first: i64, last: i64, counts: &[(i64, i64)]) -> String {
    let days = (last - first + 1).max(1);
    let shown: Vec<&(i64, i64)> = counts
        .iter()
        .filter(|(d, _)| (first..=last).contains(d))
        .collect();
    let max = shown.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1) as f64;
    let (width, height, base) = (600.0, 160.0, 140.0);
    let step = width / days as f64;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{name}" preserveAspectRatio="xMinYMin meet"><line class="axis" x1="0" y1="{base}" x2="{width}" y2="{base}"/>"#,
        name = text(name),
    );
    for (day, count) in shown {
        let h = (*count as f64 / max * (base - 10.0)).max(2.0);
        svg.push_str(&format!(
            r#"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"/>"#,
            x = (day - first) as f64 * step + step * 0.15,
            y = base - h,
            w = (step * 0.7).max(1.0),
        ));
    }
    svg.push_str(&format!(
        r#"<text class="label" x="0" y="158">{from}</text><text class="label end" x="{width}" y="158">{to}</text><text class="value" x="4" y="12">{max}</text></svg>"#,
        from = newswire::date::day_date(first),
        to = newswire::date::day_date(last),
        max = max as i64,
    ));
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "Ratings",
            &[("<b>1".into(), 0), ("2".into(), 5), ("3".into(), 10)],
        );
        assert!(svg.contains("&lt;b&gt;1") && !svg.contains("<b>"));
        assert!(
            svg.contains(r#"width="320.0""#),
            "the largest fills the width"
        );
        assert!(
            svg.contains(r#"width="160.0""#),
            "half the largest, half the width"
        );
        assert!(svg.contains(r#"width="0.0""#), "nothing for zero");
    }

    #[test]
    fn columns_leave_days_outside_the_range_out() {
        let svg = columns("Per day", 100, 109, &[(99, 5), (100, 2), (109, 4)]);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(
            svg.contains(">4</text>"),
            "the scale is the largest day shown"
        );
    }
}
