//! Prometheus metrics (text exposition format at `/metrics`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::db::Written;
use crate::record::TxRecord;

/// Label of the API request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

/// Every metric the indexer exports, under the `basalt_indexer` prefix.
pub struct Metrics {
    pub registry: Registry,
    pub transactions: Counter,
    pub events: Counter,
    pub undecoded: Counter,
    pub truncated_logs: Counter,
    pub gaps: Counter,
    pub errors: Counter,
    pub not_finalized: Counter,
    /// Listed transactions not yet written.
    pub chain_behind: Gauge,
    /// Slot of the newest written transaction.
    pub cursor_slot: Gauge,
    pub requests: Family<RequestLabels, Counter>,
    pub stream_clients: Gauge,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("basalt_indexer");
        let m = Self {
            registry: Registry::default(),
            transactions: Counter::default(),
            events: Counter::default(),
            undecoded: Counter::default(),
            truncated_logs: Counter::default(),
            gaps: Counter::default(),
            errors: Counter::default(),
            not_finalized: Counter::default(),
            chain_behind: Gauge::default(),
            cursor_slot: Gauge::default(),
            requests: Family::default(),
            stream_clients: Gauge::default(),
        };
        let counters: [(&str, &str, &Counter); 7] = [
            (
                "transactions",
                "Transactions of the program written",
                &m.transactions,
            ),
            ("events", "Events newly stored", &m.events),
            (
                "undecoded",
                "Event-tagged inner instructions that did not decode",
                &m.undecoded,
            ),
            (
                "truncated_logs",
                "Transactions whose logs were truncated",
                &m.truncated_logs,
            ),
            (
                "gaps",
                "Listed transactions the RPC could not return yet (re-fetched)",
                &m.gaps,
            ),
            (
                "errors",
                "Follower passes that failed (RPC or database)",
                &m.errors,
            ),
            (
                "not_finalized",
                "Confirmed transactions missing from the finalized chain",
                &m.not_finalized,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "chain_behind",
            "Listed transactions not yet written",
            m.chain_behind.clone(),
        );
        registry.register(
            "cursor_slot",
            "Slot of the newest written transaction",
            m.cursor_slot.clone(),
        );
        registry.register(
            "requests",
            "API requests by route and HTTP status",
            m.requests.clone(),
        );
        registry.register(
            "stream_clients",
            "Open event streams",
            m.stream_clients.clone(),
        );
        Self { registry, ..m }
    }

    /// Counts a written batch.
    pub fn record_batch(&self, records: &[TxRecord], written: &Written) {
        self.transactions.inc_by(written.transactions);
        self.events.inc_by(written.events);
        self.undecoded.inc_by(written.undecoded);
        if let Some(last) = records.last() {
            self.cursor_slot
                .set(i64::try_from(last.slot).unwrap_or(i64::MAX));
        }
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
