//! Prometheus metrics of a worker (text exposition format at `/metrics` when
//! `--metrics-listen` is set), under the `basalt_worker` prefix.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Label of the step counter: which step, and whether it was taken.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabels {
    pub step: &'static str,
    /// `ok`, `error`, or `lost_race` (another worker took a step anyone may take).
    pub outcome: &'static str,
}

/// Label of the stage histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabels {
    /// A step (`apply`, `commit`, ...), or a part of `run`: `fetch` (module and input
    /// through the SDK), `execute` (compile or cache hit, instantiate, run), `journal`.
    pub stage: &'static str,
}

/// Label of the run counter: `success` or the failure class.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RunLabels {
    pub result: &'static str,
}

/// Every metric the worker exports.
pub struct WorkerMetrics {
    registry: Registry,
    pub steps: Family<StepLabels, Counter>,
    /// Time per step and per part of a run, in seconds.
    pub stage_seconds: Family<StageLabels, Histogram, fn() -> Histogram>,
    pub runs: Family<RunLabels, Counter>,
    /// Fetch, compile (or cache hit) and run of one job, in seconds.
    pub run_seconds: Histogram,
    pub fuel_used: Counter,
    /// Unsettled job places held.
    pub places: Gauge,
    /// One pass over the jobs, in seconds.
    pub pass_seconds: Histogram,
    pub passes_failed: Counter,
}

/// 0.1 ms to about 10 min in steps of 2.5x: a journal write to a long run.
fn stage_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.5, 18))
}

impl WorkerMetrics {
    /// Records `seconds` spent in `stage`.
    pub fn stage(&self, stage: &'static str, seconds: f64) {
        self.stage_seconds
            .get_or_create(&StageLabels { stage })
            .observe(seconds);
    }
}

impl Default for WorkerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl WorkerMetrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("basalt_worker");
        let m = Self {
            steps: Family::default(),
            stage_seconds: Family::new_with_constructor(stage_histogram),
            runs: Family::default(),
            // 1 ms to about 4 min in steps of 2.5x: a cached word count to a long job.
            run_seconds: Histogram::new(exponential_buckets(0.001, 2.5, 14)),
            fuel_used: Counter::default(),
            places: Gauge::default(),
            pass_seconds: Histogram::new(exponential_buckets(0.001, 2.5, 14)),
            passes_failed: Counter::default(),
            registry: Registry::default(),
        };
        registry.register("steps", "Steps taken by kind and outcome", m.steps.clone());
        registry.register("runs", "Jobs run, by result class", m.runs.clone());
        registry.register(
            "stage_seconds",
            "Time per step, and per part of a run",
            m.stage_seconds.clone(),
        );
        registry.register(
            "run_seconds",
            "Fetching, compiling and running one job",
            m.run_seconds.clone(),
        );
        registry.register("fuel_used", "Fuel the runs consumed", m.fuel_used.clone());
        registry.register("places", "Unsettled job places held", m.places.clone());
        registry.register(
            "pass_seconds",
            "One pass over the jobs on chain",
            m.pass_seconds.clone(),
        );
        registry.register(
            "passes_failed",
            "Passes that could not read the chain",
            m.passes_failed.clone(),
        );
        Self { registry, ..m }
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_appear_in_the_exposition() {
        let m = WorkerMetrics::new();
        m.steps
            .get_or_create(&StepLabels {
                step: "commit",
                outcome: "ok",
            })
            .inc();
        m.runs
            .get_or_create(&RunLabels {
                result: "out of fuel",
            })
            .inc();
        m.fuel_used.inc_by(1_000);
        m.places.set(2);
        let text = m.encode();
        for line in [
            "basalt_worker_steps_total{step=\"commit\",outcome=\"ok\"} 1",
            "basalt_worker_runs_total{result=\"out of fuel\"} 1",
            "basalt_worker_fuel_used_total 1000",
            "basalt_worker_places 2",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }
}
