//! The OpenAPI 3 document served at `/openapi.json`, built from one table of endpoints so
//! the test that calls every documented path also covers the router.

use serde_json::{json, Map, Value};

/// Every event kind the program emits (`kind` filter values).
pub const EVENT_KINDS: &[&str] = &[
    "ConfigInitialized",
    "ConfigUpdated",
    "ProviderRegistered",
    "ProviderUpdated",
    "StakeAdded",
    "UnstakeRequested",
    "StakeWithdrawn",
    "ProviderHeartbeat",
    "ProviderUnjailed",
    "ProviderSlashed",
    "BlobRegistered",
    "ShardPlaced",
    "BlobActivated",
    "BlobAccessChanged",
    "BlobDeleted",
    "GrantCreated",
    "GrantRevoked",
    "DealFunded",
    "DealSettled",
    "DealRefunded",
    "ProofAccepted",
    "ProofMissed",
    "JobPosted",
    "JobClaimed",
    "JobCommitted",
    "JobRevealed",
    "JobFinalized",
    "JobWorkerSettled",
];

/// A documented parameter: (name, where, description, allowed values).
type Param = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

/// One documented endpoint.
pub struct Endpoint {
    pub path: &'static str,
    pub summary: &'static str,
    pub params: &'static [Param],
    /// The response is a page of items (`{items, next}`), a single object, or a stream.
    pub shape: Shape,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Page,
    Object,
    EventStream,
    Text,
}

const PAGE: [Param; 2] = [
    (
        "after",
        "query",
        "The `next` value of the previous page",
        &[],
    ),
    (
        "limit",
        "query",
        "Items per page, 1 to 500 (default 50)",
        &[],
    ),
];

/// Every endpoint of the API.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/v1/providers",
        summary: "Storage and compute providers, by account address",
        params: &[
            (
                "role",
                "query",
                "Only providers with this role",
                &["storage", "compute"],
            ),
            (
                "status",
                "query",
                "Only providers in this status",
                &["active", "unbonding", "jailed"],
            ),
            (
                "region",
                "query",
                "Only providers that declared this region",
                &[],
            ),
            PAGE[0],
            PAGE[1],
        ],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/providers/{id}",
        summary: "One provider by account address or authority",
        params: &[("id", "path", "Provider account or authority (base58)", &[])],
        shape: Shape::Object,
    },
    Endpoint {
        path: "/v1/blobs",
        summary: "Blobs, optionally of one owner, by address",
        params: &[
            ("owner", "query", "Owner wallet (base58)", &[]),
            PAGE[0],
            PAGE[1],
        ],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/blobs/{cid}",
        summary: "One blob by CID, with its shard placement and deal",
        params: &[("cid", "path", "Blob CID (bafkr4i...)", &[])],
        shape: Shape::Object,
    },
    Endpoint {
        path: "/v1/blobs/{cid}/grants",
        summary: "Access grants on a blob (active and revoked), by grantee",
        params: &[("cid", "path", "Blob CID", &[]), PAGE[0], PAGE[1]],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/deals",
        summary: "Storage deals (escrow and payouts so far), by address",
        params: &[
            ("payer", "query", "Payer wallet (base58)", &[]),
            PAGE[0],
            PAGE[1],
        ],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/payouts",
        summary: "Deal payouts to shard holders, oldest first",
        params: &[
            ("holder", "query", "Holder (provider authority)", &[]),
            ("cid", "query", "Blob CID", &[]),
            PAGE[0],
            PAGE[1],
        ],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/proofs",
        summary: "Storage-proof history (accepted and missed), oldest first",
        params: &[
            ("holder", "query", "Holder (provider authority)", &[]),
            ("cid", "query", "Blob CID", &[]),
            PAGE[0],
            PAGE[1],
        ],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/slashes",
        summary: "Slashes (missed proofs, disagreeing job results), oldest first",
        params: &[
            ("provider", "query", "Provider account or authority", &[]),
            PAGE[0],
            PAGE[1],
        ],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/jobs",
        summary: "Compute jobs, by address",
        params: &[
            ("requester", "query", "Requester wallet (base58)", &[]),
            (
                "status",
                "query",
                "Only jobs in this status",
                &["open", "succeeded", "failed"],
            ),
            PAGE[0],
            PAGE[1],
        ],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/jobs/{address}",
        summary: "One job with every worker's claim, commitment, reveal and outcome",
        params: &[("address", "path", "Job account (base58)", &[])],
        shape: Shape::Object,
    },
    Endpoint {
        path: "/v1/events",
        summary: "Raw program events in chain order",
        params: &[
            ("kind", "query", "Only events of this kind", EVENT_KINDS),
            ("account", "query", "Only events naming this address", &[]),
            PAGE[0],
            PAGE[1],
        ],
        shape: Shape::Page,
    },
    Endpoint {
        path: "/v1/events/stream",
        summary: "Server-sent events: each new event as it is committed (SSE id = event id; \
                  reconnect with Last-Event-ID to resume)",
        params: &[
            ("kind", "query", "Only events of this kind", EVENT_KINDS),
            ("account", "query", "Only events naming this address", &[]),
            (
                "after",
                "query",
                "Start after this event id (default: the newest)",
                &[],
            ),
        ],
        shape: Shape::EventStream,
    },
    Endpoint {
        path: "/v1/stats",
        summary: "Network totals and how far the indexer has followed the chain",
        params: &[],
        shape: Shape::Object,
    },
    Endpoint {
        path: "/health",
        summary: "200 while the database answers, with the cursor's slots",
        params: &[],
        shape: Shape::Object,
    },
    Endpoint {
        path: "/metrics",
        summary: "Prometheus metrics",
        params: &[],
        shape: Shape::Text,
    },
];

fn parameter(&(name, location, description, values): &Param) -> Value {
    let mut schema = json!({ "type": "string" });
    if !values.is_empty() {
        schema["enum"] = json!(values);
    }
    json!({
        "name": name,
        "in": location,
        "required": location == "path",
        "description": description,
        "schema": schema,
    })
}

fn responses(shape: Shape) -> Value {
    let ok = match shape {
        Shape::Page => json!({
            "description": "One page",
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Page" } } },
        }),
        Shape::Object => json!({
            "description": "The object",
            "content": { "application/json": { "schema": { "type": "object" } } },
        }),
        Shape::EventStream => json!({
            "description": "An endless text/event-stream; each `data` is an Event",
            "content": { "text/event-stream": { "schema": { "$ref": "#/components/schemas/Event" } } },
        }),
        Shape::Text => json!({
            "description": "Prometheus text exposition",
            "content": { "text/plain": { "schema": { "type": "string" } } },
        }),
    };
    let error = json!({
        "description": "An error",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    });
    json!({ "200": ok, "400": error.clone(), "404": error.clone(), "503": error })
}

/// The OpenAPI 3.0 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for e in ENDPOINTS {
        paths.insert(
            e.path.to_owned(),
            json!({
                "get": {
                    "summary": e.summary,
                    "parameters": e.params.iter().map(parameter).collect::<Vec<_>>(),
                    "responses": responses(e.shape),
                }
            }),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Basalt indexer API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read-only views of the Basalt program's state, mirrored from the \
                chain into PostgreSQL. Addresses are base58, hashes hex, amounts integers in \
                base units. Every row carries the slot of its last change and `finalized`. \
                An index of a NEAR deployment has the same fields: addresses are account IDs \
                (a blob and its deal are named by the blob's CID, a job by `requester:nonce`), \
                slots are block heights, and amounts in event payloads are decimal strings \
                (u128).",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Page": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": { "type": "array", "items": { "type": "object" } },
                        "next": { "type": "string", "description": "Pass as `after` for the next page" },
                    },
                },
                "Event": {
                    "type": "object",
                    "properties": {
                        "id": { "type": "integer" },
                        "signature": { "type": "string" },
                        "event_index": { "type": "integer" },
                        "slot": { "type": "integer" },
                        "block_time": { "type": "string", "format": "date-time", "nullable": true },
                        "kind": { "type": "string", "enum": EVENT_KINDS },
                        "payload": { "type": "object" },
                        "commitment": { "type": "string", "enum": ["confirmed", "finalized"] },
                    },
                },
                "Error": {
                    "type": "object",
                    "properties": { "error": { "type": "string" } },
                },
            }
        },
    })
}
