//! The one table `certhall bench` prints.

use super::Plan;

/// One benchmark: our figure against a peer's from the same run.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub ours: f64,
    pub peer_name: String,
    pub peer: f64,
    /// Our figure over the peer's must reach this (NaN: reported, no target).
    pub target_ratio: f64,
    /// For memory rows: the most we may use (the ratio column is unused).
    pub limit: Option<f64>,
    /// Tail latency of our side, when measured.
    pub p99_ms: Option<f64>,
    /// The most p99 may be, when it has a target.
    pub p99_limit_ms: Option<f64>,
    /// The ratio must stay at or below the target (memory against a peer's).
    pub lower_is_better: bool,
}

impl Row {
    /// Ours against a peer: the ratio must reach `target` (NaN: no target).
    pub fn new(
        name: impl Into<String>,
        ours: f64,
        peer_name: impl Into<String>,
        peer: f64,
        target: f64,
    ) -> Row {
        Row {
            name: name.into(),
            ours,
            peer_name: peer_name.into(),
            peer,
            target_ratio: target,
            limit: None,
            p99_ms: None,
            p99_limit_ms: None,
            lower_is_better: false,
        }
    }

    pub fn ratio(&self) -> f64 {
        self.ours / self.peer
    }

    pub fn memory(name: &str, mb: f64, limit: f64) -> Row {
        Row {
            limit: Some(limit),
            ..Row::new(name, mb, "", f64::NAN, f64::NAN)
        }
    }

    /// A figure that failed to be measured: shown, and a miss.
    pub fn failed(name: impl Into<String>, why: &str) -> Row {
        Row::new(name, f64::NAN, format!("failed: {why}"), f64::NAN, 1.0)
    }

    /// `pass`, `miss`, or `—` for a figure without a target.
    pub fn verdict(&self) -> &'static str {
        let ok = match self.limit {
            Some(l) if l.is_nan() => return "—",
            Some(l) => self.ours < l,
            None if self.target_ratio.is_nan() => return "—",
            None if self.lower_is_better => self.ratio() <= self.target_ratio,
            None => self.ratio() >= self.target_ratio,
        };
        let fast_enough = match (self.p99_ms, self.p99_limit_ms) {
            (Some(p99), Some(limit)) => p99 < limit,
            _ => true,
        };
        if ok && fast_enough { "pass" } else { "miss" }
    }

    fn target(&self) -> String {
        match self.limit {
            Some(l) if l.is_nan() => "—".into(),
            Some(l) => format!("< {l:.0}"),
            None if self.target_ratio.is_nan() => "—".into(),
            None if self.lower_is_better => format!("≤ {:.2}×", self.target_ratio),
            None => format!("≥ {:.2}×", self.target_ratio),
        }
    }
}

fn num(v: f64) -> String {
    if v.is_nan() {
        "—".into()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Columns as a terminal shows them: CJK characters take two cells.
fn cells(s: &str) -> usize {
    s.chars().map(|c| if c >= '\u{2E80}' { 2 } else { 1 }).sum()
}

fn left(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(cells(s))))
}

pub fn print(rows: &[Row], plan: &Plan) {
    if cfg!(debug_assertions) {
        println!(
            "(a debug build: these figures only show that the benchmarks run; measure a release build)"
        );
    }
    println!(
        "certhall bench: {} s per load, {} connections, {} wrk threads; ratios are ours / peer's, measured in this run",
        plan.duration.as_secs(),
        plan.connections,
        plan.threads
    );
    let name_w = rows
        .iter()
        .map(|r| cells(&r.name))
        .max()
        .unwrap_or(9)
        .max(9);
    let peer_w = rows
        .iter()
        .map(|r| cells(&r.peer_name))
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{} {:>10} {:>9} {} {:>10} {:>7} {:>8} {:>5}",
        left("benchmark", name_w),
        "ours",
        "p99 ms",
        left("peer", peer_w),
        "peer's",
        "ratio",
        "target",
        ""
    );
    for r in rows {
        let ratio = if r.limit.is_some() {
            "—".to_string()
        } else {
            format!("{:.2}", r.ratio())
        };
        println!(
            "{} {:>10} {:>9} {} {:>10} {:>7} {:>8} {:>5}",
            left(&r.name, name_w),
            num(r.ours),
            r.p99_ms.map(num).unwrap_or_else(|| "—".into()),
            left(
                if r.peer_name.is_empty() {
                    "—"
                } else {
                    &r.peer_name
                },
                peer_w
            ),
            num(r.peer),
            ratio,
            r.target(),
            r.verdict()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ours: f64, peer: f64, target: f64) -> Row {
        Row::new("x", ours, "nginx", peer, target)
    }

    #[test]
    fn wide_characters_take_two_cells() {
        assert_eq!(cells("自助服务 GET"), 12);
        assert_eq!(left("自助", 6), "自助  ");
    }

    #[test]
    fn verdicts() {
        assert_eq!(row(30.0, 100.0, 0.25).verdict(), "pass");
        assert_eq!(row(20.0, 100.0, 0.25).verdict(), "miss");
        assert_eq!(row(20.0, 100.0, f64::NAN).verdict(), "—");
        assert_eq!(Row::memory("m", 40.0, 50.0).verdict(), "pass");
        assert_eq!(Row::memory("m", 60.0, 50.0).verdict(), "miss");
        assert_eq!(Row::memory("m", 60.0, f64::NAN).verdict(), "—");
        let mut slow = row(30.0, 100.0, 0.25);
        slow.p99_ms = Some(25.0);
        slow.p99_limit_ms = Some(20.0);
        assert_eq!(slow.verdict(), "miss");
        let mut lean = row(10.0, 100.0, 0.2);
        lean.lower_is_better = true;
        assert_eq!(lean.verdict(), "pass");
        lean.ours = 30.0;
        assert_eq!(lean.verdict(), "miss");
        assert_eq!(Row::failed("x", "no PostgreSQL").verdict(), "miss");
    }
}
