//! A NEAR JSON-RPC endpoint on loopback that answers from recorded responses, so code that
//! follows a NEAR deployment can be tested where no NEAR node can be reached.
//!
//! A recording is a JSON file:
//!
//! ```json
//! { "method": "query",
//!   "params": { "request_type": "call_function", "method_name": "read_access",
//!               "args_json": { "account_id": "alice.testnet" } },
//!   "once": false,
//!   "response": { "jsonrpc": "2.0", "id": "dontcare", "result": { ... } } }
//! ```
//!
//! A request is answered by the first recording whose `method` is equal and whose `params`
//! are contained in the request's (objects compared field by field, recursively; a `null` in
//! a recording matches any value, and a recording without `params` matches any request).
//! `args_json` stands for `args_base64` decoded and read as JSON, so recordings stay
//! readable. A `once` recording is used up by its first answer, which lets a sequence of
//! identical requests get different answers. The response is sent as recorded, with the
//! request's `id`. A request nothing matches gets a JSON-RPC error naming it, so a test
//! never passes on an answer nobody recorded.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

/// One recorded exchange.
#[derive(Debug, Clone, Deserialize)]
pub struct Recording {
    pub method: String,
    #[serde(default)]
    pub params: Value,
    #[serde(default)]
    pub once: bool,
    pub response: Value,
}

impl Recording {
    /// Reads a recording from its JSON text.
    ///
    /// # Panics
    ///
    /// When the text is not a recording: recordings are test fixtures.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str(text).expect("a recording: {method, params, once?, response}")
    }

    /// The block hash a recorded `query` answer was read at.
    pub fn block_hash(&self) -> Option<&str> {
        self.response["result"]["block_hash"].as_str()
    }
}

#[derive(Default)]
struct Recorded {
    recordings: Vec<Recording>,
    requests: Vec<Value>,
}

/// The running endpoint; it stops when dropped.
pub struct ReplayServer {
    url: String,
    state: Arc<Mutex<Recorded>>,
    task: tokio::task::JoinHandle<()>,
}

impl ReplayServer {
    /// Starts answering `recordings` on a free loopback port.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start(recordings: Vec<Recording>) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(Recorded {
            recordings,
            requests: Vec::new(),
        }));
        let app = Router::new()
            .route("/", post(answer))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let task = tokio::spawn(async move {
            // Serving ends only when the task is aborted on drop.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { url, state, task })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received so far, in order (`method` and `params` as sent).
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.state).requests.clone()
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<Recorded>) -> std::sync::MutexGuard<'_, Recorded> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

async fn answer(
    State(state): State<Arc<Mutex<Recorded>>>,
    Json(request): Json<Value>,
) -> Json<Value> {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or_default().to_owned();
    let params = readable(request.get("params").cloned().unwrap_or(Value::Null));
    let mut recorded = lock(&state);
    recorded
        .requests
        .push(json!({ "method": method, "params": params }));
    let found = recorded
        .recordings
        .iter()
        .position(|r| r.method == method && contains(&params, &r.params));
    let Some(at) = found else {
        return Json(json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": { "code": -32601, "message": format!("no recorded response for {method} {params}") },
        }));
    };
    let mut response = if recorded.recordings[at].once {
        recorded.recordings.remove(at).response
    } else {
        recorded.recordings[at].response.clone()
    };
    response["id"] = id;
    Json(response)
}

/// `params` with `args_base64` also given as `args_json` when it decodes to JSON.
fn readable(mut params: Value) -> Value {
    let args = params
        .get("args_base64")
        .and_then(Value::as_str)
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok());
    if let (Some(args), Some(object)) = (args, params.as_object_mut()) {
        object.insert("args_json".into(), args);
    }
    params
}

/// Whether `pattern` is contained in `value`: equal scalars and arrays, and objects whose
/// every field in `pattern` is contained in the same field of `value`.
fn contains(value: &Value, pattern: &Value) -> bool {
    match (value, pattern) {
        (_, Value::Null) => true,
        (Value::Object(v), Value::Object(p)) => p
            .iter()
            .all(|(k, pv)| v.get(k).is_some_and(|vv| contains(vv, pv))),
        _ => value == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_field_by_field() {
        let value = json!({ "a": 1, "b": { "c": "x", "d": [1, 2] } });
        assert!(contains(&value, &json!({ "b": { "c": "x" } })));
        assert!(contains(&value, &Value::Null));
        assert!(!contains(&value, &json!({ "b": { "c": "y" } })));
        assert!(!contains(&value, &json!({ "e": 1 })));
        assert!(!contains(&value, &json!({ "b": { "d": [1] } })));
    }

    #[test]
    fn args_are_readable_as_json() {
        let encoded = base64::engine::general_purpose::STANDARD.encode(br#"{"k":7}"#);
        let params = readable(json!({ "args_base64": encoded }));
        assert_eq!(params["args_json"], json!({ "k": 7 }));
    }
}
