//! Plots as inline SVG, drawn in Rust: a line chart (latency and throughput over time) and a bar chart
//! (the latency histogram). The HTML report embeds them in its one file and the live monitor sends them
//! with each update, so neither needs a JavaScript library or the network to show a plot.

use std::fmt::Write as _;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;
/// Point markers are drawn only while they stay readable; longer series are just lines.
const MARKERS_UP_TO: usize = 60;

/// One line of a [`line_chart`].
#[derive(Clone, Debug, Default)]
pub struct Line {
    /// Legend text.
    pub name: String,
    /// CSS colour.
    pub color: &'static str,
    /// `(x, y)` in data units, `x` ascending.
    pub points: Vec<(f64, f64)>,
}

/// One bar of a [`bar_chart`].
#[derive(Clone, Debug, Default)]
pub struct Bar {
    /// Axis label under the bar.
    pub label: String,
    /// Its height in data units.
    pub value: f64,
}

/// A line chart with a grid, axis labels (`fmt_x`/`fmt_y` turn data units into text) and a legend.
/// Every line is a `<polyline class="series">` whose points are the data, so tests can count them.
pub fn line_chart(title: &str, lines: &[Line], fmt_x: fn(f64) -> String, fmt_y: fn(f64) -> String) -> String {
    line_chart_with_band(title, lines, None, fmt_x, fmt_y)
}

/// A shaded band over part of a chart's x axis: `from`, `to` in data units, and its label.
#[derive(Clone, Debug, Default)]
pub struct Band {
    /// Where it starts.
    pub from: f64,
    /// Where it ends.
    pub to: f64,
    /// Its label (drawn at its top), e.g. `warm-up (not judged)`.
    pub label: String,
}

/// [`line_chart`] with a shaded `<rect class="band">` under the lines (the warm-up of a run).
pub fn line_chart_with_band(
    title: &str,
    lines: &[Line],
    band: Option<&Band>,
    fmt_x: fn(f64) -> String,
    fmt_y: fn(f64) -> String,
) -> String {
    let mut svg = open(title);
    let all = lines.iter().flat_map(|l| l.points.iter());
    let (x_max, y_max) = all.fold((0.0f64, 0.0f64), |(x, y), p| (x.max(p.0), y.max(p.1)));
    if lines.iter().all(|l| l.points.is_empty()) {
        no_data(&mut svg);
        svg.push_str("</svg>");
        return svg;
    }
    let y_top = nice_ceiling(y_max);
    let x_right = if x_max > 0.0 { x_max } else { 1.0 };
    let sx = |x: f64| LEFT + x / x_right * (WIDTH - LEFT - RIGHT);
    let sy = |y: f64| HEIGHT - BOTTOM - y / y_top * (HEIGHT - TOP - BOTTOM);
    grid(&mut svg, y_top, fmt_y);
    if let Some(b) = band.filter(|b| b.to > b.from) {
        let (x0, x1) = (sx(b.from.max(0.0)), sx(b.to.min(x_right)));
        let _ = write!(
            svg,
            r##"<rect class="band" x="{x0:.1}" y="{TOP:.1}" width="{:.1}" height="{:.1}" fill="#bab0ac" fill-opacity="0.25"/><text class="axis" x="{:.1}" y="{:.1}">{}</text>"##,
            (x1 - x0).max(0.0),
            HEIGHT - TOP - BOTTOM,
            x0 + 4.0,
            TOP + 12.0,
            super::html::escape(&b.label)
        );
    }
    // Ticks on round numbers of the x unit (1, 2, 5 × 10ⁿ apart), about five of them.
    let x_step = nice_ceiling(x_right / 5.0);
    for i in 0..=(x_right / x_step).floor() as usize {
        let x = x_step * i as f64;
        let _ = write!(
            svg,
            r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            sx(x),
            HEIGHT - BOTTOM + 16.0,
            super::html::escape(&fmt_x(x))
        );
    }
    for (n, line) in lines.iter().enumerate() {
        let points: Vec<String> = line
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline class="series" data-name="{}" fill="none" stroke="{}" stroke-width="2" points="{}"/>"#,
            super::html::escape(&line.name),
            line.color,
            points.join(" ")
        );
        if line.points.len() <= MARKERS_UP_TO {
            for &(x, y) in &line.points {
                let _ = write!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"/>"#,
                    sx(x),
                    sy(y),
                    line.color
                );
            }
        }
        let lx = LEFT + 8.0 + n as f64 * 110.0;
        let _ = write!(
            svg,
            r#"<rect x="{lx:.1}" y="8" width="12" height="4" fill="{}"/><text class="legend" x="{:.1}" y="14">{}</text>"#,
            line.color,
            lx + 16.0,
            super::html::escape(&line.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A bar chart: one `<rect class="bar">` per bar, labels under every few bars.
pub fn bar_chart(title: &str, bars: &[Bar], fmt_y: fn(f64) -> String) -> String {
    let mut svg = open(title);
    if bars.is_empty() {
        no_data(&mut svg);
        svg.push_str("</svg>");
        return svg;
    }
    let y_top = nice_ceiling(bars.iter().map(|b| b.value).fold(0.0, f64::max));
    grid(&mut svg, y_top, fmt_y);
    let slot = (WIDTH - LEFT - RIGHT) / bars.len() as f64;
    let label_every = bars.len().div_ceil(10).max(1);
    let plot_h = HEIGHT - TOP - BOTTOM;
    for (i, bar) in bars.iter().enumerate() {
        let h = bar.value / y_top * plot_h;
        let x = LEFT + i as f64 * slot;
        let label = super::html::escape(&bar.label);
        let _ = write!(
            svg,
            r##"<rect class="bar" x="{:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="#4e79a7"><title>{label}: {}</title></rect>"##,
            x + 1.0,
            HEIGHT - BOTTOM - h,
            (slot - 2.0).max(1.0),
            bar.value
        );
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{label}</text>"#,
                x + slot / 2.0,
                HEIGHT - BOTTOM + 16.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn open(title: &str) -> String {
    format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{0}" xmlns="http://www.w3.org/2000/svg"><title>{0}</title>"#,
        super::html::escape(title)
    )
}

fn no_data(svg: &mut String) {
    let _ = write!(
        svg,
        r#"<text class="axis" x="{}" y="{}" text-anchor="middle">no data yet</text>"#,
        WIDTH / 2.0,
        HEIGHT / 2.0
    );
}

/// Horizontal grid lines with their values on the left, and the x axis.
fn grid(svg: &mut String, y_top: f64, fmt_y: fn(f64) -> String) {
    for i in 0..=4 {
        let v = y_top * i as f64 / 4.0;
        let y = HEIGHT - BOTTOM - v / y_top * (HEIGHT - TOP - BOTTOM);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            super::html::escape(&fmt_y(v))
        );
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v`, so grid lines fall on round numbers.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceiling_rounds_up_to_1_2_5() {
        let cases = [
            (0.0, 1.0),
            (0.7, 1.0),
            (1.0, 1.0),
            (1.2, 2.0),
            (3.0, 5.0),
            (7.0, 10.0),
            (420.0, 500.0),
        ];
        for (v, want) in cases {
            assert_eq!(nice_ceiling(v), want, "nice_ceiling({v})");
        }
    }

    #[test]
    fn line_chart_has_one_point_per_datum_and_escapes_names() {
        let line = Line {
            name: "p95 <ms>".into(),
            color: "red",
            points: vec![(0.0, 1.0), (1.0, 3.0), (2.0, 2.0)],
        };
        let svg = line_chart("t", &[line], |x| format!("{x}s"), |y| format!("{y}"));
        let points = svg
            .split("points=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        assert_eq!(points.split(' ').count(), 3, "{svg}");
        assert!(svg.contains("p95 &lt;ms&gt;"), "{svg}");
        let empty = line_chart("t", &[], |x| format!("{x}"), |y| format!("{y}"));
        assert!(empty.contains("no data yet") && !empty.contains("polyline"), "{empty}");
    }

    #[test]
    fn bar_chart_draws_every_bar() {
        let bars: Vec<Bar> = (0..5)
            .map(|i| Bar {
                label: format!("{i}"),
                value: i as f64,
            })
            .collect();
        let svg = bar_chart("h", &bars, |y| format!("{y}"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 5, "{svg}");
    }
}
