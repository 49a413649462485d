//! Latency percentiles and medians.

/// Latencies in microseconds, with percentiles.
#[derive(Debug, Clone, Default)]
pub struct Latencies {
    sorted: Vec<u32>,
}

impl Latencies {
    pub fn new(mut micros: Vec<u32>) -> Self {
        micros.sort_unstable();
        Self { sorted: micros }
    }

    /// The `p`-th percentile (nearest rank) in milliseconds; 0 when empty.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.sorted.is_empty() {
            return 0.0;
        }
        let n = self.sorted.len();
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        let i = rank.clamp(1, n) - 1;
        f64::from(self.sorted[i]) / 1000.0
    }

    pub fn mean_ms(&self) -> f64 {
        if self.sorted.is_empty() {
            return 0.0;
        }
        let sum: u64 = self.sorted.iter().map(|&x| u64::from(x)).sum();
        sum as f64 / self.sorted.len() as f64 / 1000.0
    }
}

/// The index of the median element by a key (the lower median for an even count).
pub fn median_index<T>(items: &[T], key: impl Fn(&T) -> f64) -> usize {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    idx.sort_by(|&a, &b| key(&items[a]).total_cmp(&key(&items[b])));
    idx.get(items.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let l = Latencies::new((1..=100).map(|x| x * 1000).collect());
        assert!((l.percentile_ms(50.0) - 50.0).abs() < 1e-9);
        assert!((l.percentile_ms(99.0) - 99.0).abs() < 1e-9);
        assert!((l.percentile_ms(100.0) - 100.0).abs() < 1e-9);
        assert!((Latencies::default().percentile_ms(50.0)).abs() < 1e-9);
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median_index(&[3.0, 1.0, 2.0], |x| *x), 2);
        assert_eq!(median_index(&[4.0, 1.0, 3.0, 2.0], |x| *x), 3);
    }
}
