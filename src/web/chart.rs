//! Bar charts as inline SVG, rendered on the server: no script, no external library. Each bar
//! has its label and value as text beside it, and the chart a `<title>` for screen readers.

use askama::Template;

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    /// The value as shown.
    pub value: String,
    /// Width in SVG units.
    pub width: u32,
    pub y: u32,
    /// CSS class: `ok`, `warn`, or empty.
    pub class: &'static str,
}

/// A horizontal bar chart.
#[derive(Debug, Clone, Template)]
#[template(path = "chart.html")]
pub struct Chart {
    /// Element id prefix (unique on the page).
    pub id: String,
    pub title: String,
    pub bars: Vec<Bar>,
    pub width: u32,
    pub height: u32,
    pub label_width: u32,
}

/// Width of the bar area in SVG units.
const BAR_AREA: u32 = 220;
const ROW: u32 = 28;

impl Chart {
    /// A chart of `(label, value, shown value, class)` rows, bars scaled to `max` (at least the
    /// largest value).
    pub fn new(
        id: &str,
        title: &str,
        rows: impl IntoIterator<Item = (String, f64, String, &'static str)>,
        max: f64,
    ) -> Self {
        let rows: Vec<_> = rows.into_iter().collect();
        let top = rows.iter().map(|r| r.1).fold(max, f64::max);
        let longest = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(4);
        let label_width = u32::try_from(longest.clamp(4, 28) * 7 + 8).unwrap_or(200);
        let bars = rows
            .into_iter()
            .zip(0u32..)
            .map(|((label, v, value, class), i)| Bar {
                label,
                value,
                width: scale(v, top),
                y: i * ROW + 4,
                class,
            })
            .collect::<Vec<_>>();
        let n = u32::try_from(bars.len()).unwrap_or(0);
        Self {
            id: id.to_string(),
            title: title.to_string(),
            bars,
            width: label_width + BAR_AREA + 60,
            height: n.max(1) * ROW + 8,
            label_width,
        }
    }

    /// The chart's HTML (escaped by its template).
    pub fn html(&self) -> String {
        self.render().unwrap_or_default()
    }
}

/// `v / top` of the bar area, in whole SVG units (at least 1 for a positive value).
fn scale(v: f64, top: f64) -> u32 {
    if top <= 0.0 || v <= 0.0 || !v.is_finite() {
        return 0;
    }
    let w = (v / top * f64::from(BAR_AREA))
        .round()
        .clamp(1.0, f64::from(BAR_AREA));
    // Within 1..=BAR_AREA after the clamp.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let w = w as u32;
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_to_the_largest_value_and_labels_are_escaped() {
        let c = Chart::new(
            "t",
            "Judul",
            [
                ("A<b>".to_string(), 2.0, "2".to_string(), ""),
                ("B".to_string(), 4.0, "4".to_string(), "ok"),
                ("C".to_string(), 0.0, "0".to_string(), ""),
            ],
            0.0,
        );
        let widths: Vec<u32> = c.bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, vec![BAR_AREA / 2, BAR_AREA, 0]);
        let html = c.html();
        assert!(
            html.contains("A&#60;b&#62;") || html.contains("A&lt;b&gt;"),
            "{html}"
        );
        assert!(!html.contains("A<b>"));
    }
}
