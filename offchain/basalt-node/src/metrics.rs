//! Prometheus metrics (text exposition format at `/metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Label of the request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub op: &'static str,
    pub status: u16,
}

/// Label of the latency histograms.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpLabels {
    pub op: &'static str,
}

/// A latency histogram per operation, in seconds.
pub type Latency = Family<OpLabels, Histogram, fn() -> Histogram>;

/// 0.1 ms to about 2.4 s in steps of 2.5x: a shard put on a fast disk takes about a
/// millisecond, a queued one under load tens of milliseconds.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.5, 12))
}

/// 10 ms to about 10 min in steps of 2.5x: a proving pass sends one transaction per shard
/// held, from a handful to tens of thousands.
fn pass_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 2.5, 13))
}

/// Label of the refusal counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    pub reason: &'static str,
}

/// Every metric the node exports.
pub struct Metrics {
    pub registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub refusals: Family<RefusalLabels, Counter>,
    /// Handler time per request, from routing to the response (the body upload included).
    pub request_seconds: Latency,
    /// Time in the store per call (put: Merkle check and the durable write; get: read and
    /// digest check), queueing for a blocking thread included.
    pub store_seconds: Latency,
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub corrupt_shards: Counter,
    pub gc_deleted_shards: Counter,
    pub placements_accepted: Counter,
    pub placements_refused: Counter,
    pub proofs_accepted: Counter,
    pub proofs_failed: Counter,
    pub proofs_unprovable: Counter,
    pub proofs_missed: Counter,
    /// Duration of each proving pass that had proofs due: building them from the store,
    /// sending them and awaiting their confirmations.
    pub prove_pass_seconds: Histogram,
    pub crank_settled: Counter,
    pub crank_settled_others: Counter,
    pub crank_slashed: Counter,
    pub crank_evicted: Counter,
    pub crank_placed: Counter,
    pub crank_failed: Counter,
    pub heartbeats: Counter,
    pub heartbeats_failed: Counter,
    pub shards_repaired: Counter,
    /// Columns rebuilt here for repair placements this node was offered.
    pub columns_rebuilt: Counter,
    /// Shard bytes fetched from the blob's other holders to rebuild shards here.
    pub repair_fetched_bytes: Counter,
    /// Stake-token base units the node's own settlements paid it.
    pub paid_tokens: Counter<f64, AtomicU64>,
    /// Stake-token base units its slashes earned.
    pub bounty_tokens: Counter<f64, AtomicU64>,
    pub used_bytes: Gauge,
    pub capacity_bytes: Gauge,
    pub shards: Gauge,
    pub repair_queue: Gauge,
}

impl Metrics {
    /// Registers every metric under the `basalt_node` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("basalt_node");
        let m = Self {
            requests: Family::default(),
            refusals: Family::default(),
            request_seconds: Family::new_with_constructor(latency_histogram),
            store_seconds: Family::new_with_constructor(latency_histogram),
            bytes_in: Counter::default(),
            bytes_out: Counter::default(),
            corrupt_shards: Counter::default(),
            gc_deleted_shards: Counter::default(),
            placements_accepted: Counter::default(),
            placements_refused: Counter::default(),
            proofs_accepted: Counter::default(),
            proofs_failed: Counter::default(),
            proofs_unprovable: Counter::default(),
            proofs_missed: Counter::default(),
            prove_pass_seconds: pass_histogram(),
            crank_settled: Counter::default(),
            crank_settled_others: Counter::default(),
            crank_slashed: Counter::default(),
            crank_evicted: Counter::default(),
            crank_placed: Counter::default(),
            crank_failed: Counter::default(),
            heartbeats: Counter::default(),
            heartbeats_failed: Counter::default(),
            shards_repaired: Counter::default(),
            columns_rebuilt: Counter::default(),
            repair_fetched_bytes: Counter::default(),
            paid_tokens: Counter::default(),
            bounty_tokens: Counter::default(),
            used_bytes: Gauge::default(),
            capacity_bytes: Gauge::default(),
            shards: Gauge::default(),
            repair_queue: Gauge::default(),
            registry: Registry::default(),
        };
        registry.register(
            "requests",
            "Requests by operation and HTTP status",
            m.requests.clone(),
        );
        registry.register(
            "refusals",
            "Requests refused before their handler, by reason",
            m.refusals.clone(),
        );
        let latencies = [
            (
                "request_seconds",
                "Handler time per request by operation, body upload included",
                &m.request_seconds,
            ),
            (
                "store_seconds",
                "Time in the shard store per call by operation",
                &m.store_seconds,
            ),
        ];
        for (name, help, histograms) in latencies {
            registry.register(name, help, histograms.clone());
        }
        registry.register("shard_bytes_in", "Shard bytes accepted", m.bytes_in.clone());
        registry.register("shard_bytes_out", "Shard bytes served", m.bytes_out.clone());
        registry.register(
            "corrupt_shards",
            "Shards that failed an integrity check on read",
            m.corrupt_shards.clone(),
        );
        registry.register(
            "gc_deleted_shards",
            "Shards removed by garbage collection",
            m.gc_deleted_shards.clone(),
        );
        registry.register(
            "placements_accepted",
            "Shard placements this node accepted on chain",
            m.placements_accepted.clone(),
        );
        registry.register(
            "placements_refused",
            "Shard placements refused: their column root does not match the stored data",
            m.placements_refused.clone(),
        );
        let proofs = [
            (
                "proofs_accepted",
                "Storage proofs the chain counted",
                &m.proofs_accepted,
            ),
            (
                "proofs_failed",
                "Storage proofs refused or not landed (sent again while the window is open)",
                &m.proofs_failed,
            ),
            (
                "proofs_unprovable",
                "Proof duties whose proof could not be built from the stored data",
                &m.proofs_unprovable,
            ),
            (
                "proofs_missed",
                "Shards a proof window closed on before they were proven",
                &m.proofs_missed,
            ),
            (
                "crank_settled",
                "Settlements of this node's proven epochs that landed",
                &m.crank_settled,
            ),
            (
                "crank_settled_others",
                "Settlements of other holders' proven epochs that landed",
                &m.crank_settled_others,
            ),
            (
                "crank_slashed",
                "Slashes of other holders' missed proofs that landed",
                &m.crank_slashed,
            ),
            (
                "crank_evicted",
                "Shards of silent (offline) holders sent to repair",
                &m.crank_evicted,
            ),
            (
                "crank_placed",
                "Lost shards placed on a new holder",
                &m.crank_placed,
            ),
            (
                "crank_failed",
                "Crank transactions refused or not landed",
                &m.crank_failed,
            ),
            ("heartbeats", "Heartbeats recorded on chain", &m.heartbeats),
            (
                "heartbeats_failed",
                "Heartbeats the chain did not record",
                &m.heartbeats_failed,
            ),
            (
                "shards_repaired",
                "Shards found corrupt here and rebuilt from the blob's other holders",
                &m.shards_repaired,
            ),
            (
                "columns_rebuilt",
                "Columns rebuilt here for repair placements this node was offered",
                &m.columns_rebuilt,
            ),
            (
                "repair_fetched_bytes",
                "Shard bytes fetched from other holders to rebuild shards here",
                &m.repair_fetched_bytes,
            ),
        ];
        for (name, help, counter) in proofs {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "prove_pass_seconds",
            "Duration of each proving pass that had proofs due",
            m.prove_pass_seconds.clone(),
        );
        registry.register(
            "paid_tokens",
            "Stake-token base units this node's settlements paid it",
            m.paid_tokens.clone(),
        );
        registry.register(
            "bounty_tokens",
            "Stake-token base units this node's slashes earned",
            m.bounty_tokens.clone(),
        );
        registry.register("used_bytes", "Shard bytes stored", m.used_bytes.clone());
        registry.register(
            "capacity_bytes",
            "Configured capacity",
            m.capacity_bytes.clone(),
        );
        registry.register("shards", "Shards stored", m.shards.clone());
        registry.register(
            "repair_queue",
            "Shards marked for repair",
            m.repair_queue.clone(),
        );
        Self { registry, ..m }
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// The total seconds and the count of the latency histogram `name` (`request_seconds` or
/// `store_seconds`) for operation `op` in a node's `/metrics` text; `None` when the series
/// is absent. For benchmarks and tools that add up several nodes.
pub fn latency_totals(exposition: &str, name: &str, op: &str) -> Option<(f64, u64)> {
    let value = |suffix: &str| {
        series_value(
            exposition,
            &format!("basalt_node_{name}_{suffix}{{op=\"{op}\"}}"),
        )
    };
    Some((value("sum")?, value("count")? as u64))
}

/// The value of `series` (a metric name with its labels, as exposed, e.g.
/// `basalt_node_shards`) in a `/metrics` text; `None` when it is absent or not a number.
pub fn series_value(exposition: &str, series: &str) -> Option<f64> {
    let prefix = format!("{series} ");
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.trim().parse().ok())
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_totals_read_back_what_was_observed() {
        let m = Metrics::new();
        let put = m.store_seconds.get_or_create(&OpLabels { op: "put" });
        put.observe(0.002);
        put.observe(0.004);
        let text = m.render();
        let (sum, count) = latency_totals(&text, "store_seconds", "put").expect("put series");
        assert!((sum - 0.006).abs() < 1e-9, "{sum}");
        assert_eq!(count, 2);
        assert_eq!(latency_totals(&text, "store_seconds", "get"), None);
        assert_eq!(latency_totals(&text, "request_seconds", "put"), None);
    }
}
