//! Push of new events as server-sent events, fed by PostgreSQL LISTEN/NOTIFY.
//!
//! The trigger on `events` notifies `basalt_events` with the newest id once per committed
//! batch. One listener per API process turns that into a `watch` value; each stream reads
//! the rows after its own position from the table, so a dropped notification or a slow
//! client loses nothing, and a client that reconnects with `Last-Event-ID` resumes exactly
//! where it stopped.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use sqlx::postgres::PgListener;
use tokio::sync::watch;

use super::params::IdPage;
use super::{ApiError, ApiState, ErrorBody, EventQuery, Query};
use crate::db::{EventRow, PageRequest, Store, MAX_PAGE};

/// The notification channel the `events` trigger uses.
const CHANNEL: &str = "basalt_events";
/// How often the newest id is read even without a notification (a reconnecting listener
/// can miss some).
const RECHECK: Duration = Duration::from_secs(2);

/// Keeps `newest` at the newest committed event id until `stop` turns true.
pub async fn listen_for_events(
    store: Store,
    newest: watch::Sender<i64>,
    mut stop: watch::Receiver<bool>,
) {
    let raise = |id: i64| {
        newest.send_if_modified(|n| {
            let raised = id > *n;
            *n = (*n).max(id);
            raised
        });
    };
    loop {
        let mut listener = match PgListener::connect_with(store.pool()).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => Some(l),
                Err(e) => {
                    tracing::warn!("LISTEN {CHANNEL}: {e}");
                    None
                }
            },
            Err(e) => {
                tracing::warn!("event listener connection: {e}");
                None
            }
        };
        // Read the table after (re)connecting and after a quiet RECHECK; a notification
        // carries the id itself.
        let mut recheck = true;
        loop {
            if recheck {
                if let Ok(id) = store.newest_event().await {
                    raise(id);
                }
            }
            let notification = async {
                match listener.as_mut() {
                    Some(l) => tokio::time::timeout(RECHECK, l.recv()).await.ok(),
                    None => {
                        tokio::time::sleep(RECHECK).await;
                        None
                    }
                }
            };
            tokio::select! {
                n = notification => match n {
                    Some(Ok(n)) => {
                        // An unreadable payload falls back to reading the table.
                        recheck = n.payload().parse().map(raise).is_err();
                    }
                    Some(Err(e)) => {
                        tracing::warn!("event listener: {e}; reconnecting");
                        break;
                    }
                    None if listener.is_none() => break,
                    None => recheck = true,
                },
                _ = stop.changed() => return,
            }
        }
    }
}

/// Counts open streams for `/metrics` while alive.
struct ClientGuard(Arc<ApiState>);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.metrics.stream_clients.dec();
    }
}

struct StreamState {
    guard: ClientGuard,
    newest: watch::Receiver<i64>,
    kind: Option<String>,
    account: Option<String>,
    /// Id of the last event sent or skipped by the filters.
    position: i64,
    ready: VecDeque<EventRow>,
}

/// Server-sent events: each new event matching `kind` and `account` as it is committed
/// (SSE id = event id; `data` is the event's row as in `/v1/events`). Starts after
/// `Last-Event-ID` (a reconnect), else after `after`, else at the newest event.
#[utoipa::path(get, path = "/v1/events/stream", params(EventQuery, IdPage,
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id")),
    responses((status = 200, description = "An endless stream of events", content_type = "text/event-stream", body = String),
        (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub(super) async fn events_stream(
    State(s): State<Arc<ApiState>>,
    headers: HeaderMap,
    Query(q): Query<EventQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let (kind, account, page) = q.parts();
    let resume = headers
        .get("last-event-id")
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.parse::<i64>().ok())
                .ok_or_else(|| ApiError::bad_request("Last-Event-ID: expected an event id"))
        })
        .transpose()?;
    let position = match resume.or(page.after_id().map_err(ApiError::bad_request)?) {
        Some(id) => id,
        None => s.store.newest_event().await?,
    };
    s.metrics.stream_clients.inc();
    let state = StreamState {
        guard: ClientGuard(Arc::clone(&s)),
        newest: s.newest_event.clone(),
        kind,
        account,
        position,
        ready: VecDeque::new(),
    };
    let stream = futures::stream::unfold(state, |mut st| async move {
        let event = next_event(&mut st).await;
        Some((Ok(event), st))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Waits for the next matching event and renders it.
async fn next_event(st: &mut StreamState) -> Event {
    loop {
        if let Some(row) = st.ready.pop_front() {
            let data = serde_json::to_string(&row).unwrap_or_default();
            return Event::default()
                .id(row.id.to_string())
                .event(row.kind)
                .data(data);
        }
        // Every id up to `newest` is committed (one writer, batches in order), so a short
        // page means the stream has seen everything up to it.
        let newest = *st.newest.borrow_and_update();
        if newest > st.position {
            let store = &st.guard.0.store;
            let page = PageRequest {
                after: Some(st.position.to_string()),
                limit: Some(MAX_PAGE.to_string()),
            };
            match store
                .events(st.kind.as_deref(), st.account.as_deref(), &page)
                .await
            {
                Ok(p) => {
                    let last = p.items.last().map(|r| r.id);
                    st.position = match (&p.next, last) {
                        (Some(_), Some(last)) => last,
                        (_, last) => last.unwrap_or(newest).max(newest),
                    };
                    st.ready.extend(p.items);
                    continue;
                }
                Err(e) => {
                    tracing::warn!("event stream query: {e}; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
        }
        if st.newest.changed().await.is_err() {
            // The listener is gone (shutdown): wait for the server to close us.
            std::future::pending::<()>().await;
        }
    }
}
