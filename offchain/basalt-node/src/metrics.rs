//! Prometheus metrics (text exposition format at `/metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Label of the request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub op: &'static str,
    pub status: u16,
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
    pub bytes_in: Counter,
    pub bytes_out: Counter,
    pub corrupt_shards: Counter,
    pub gc_deleted_shards: Counter,
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
            bytes_in: Counter::default(),
            bytes_out: Counter::default(),
            corrupt_shards: Counter::default(),
            gc_deleted_shards: Counter::default(),
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

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
