//! The gateway as a server: the S3 service (`s3s`, with the access keys checking every
//! signature) as an axum router, each connection served over HTTP/1.1 by hyper with a
//! deadline for a request's headers.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::error_handling::HandleError;
use axum::http::StatusCode;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use crate::auth::KeyRing;
use crate::config::{ConfigError, GatewayConfig};
use crate::index::{Index, IndexError};
use crate::network::{AbortOnDrop, Network};
use crate::reclaim::Reclaimer;
use crate::service::Gateway;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("opening the index: {0}")]
    Index(#[from] IndexError),
    #[error("the spool directory {path}: {reason}")]
    Spool { path: PathBuf, reason: String },
}

/// A gateway ready to serve: its keys loaded, its index open (what the last run left
/// pending already in the trash), its S3 service built.
pub struct Server {
    app: axum::Router,
    reclaimer: Arc<Reclaimer>,
    header_timeout: Duration,
}

impl Server {
    /// Prepares `config`'s gateway.
    ///
    /// # Errors
    ///
    /// [`ServeError`]: a wallet that does not load, an index that does not open, a spool
    /// directory that cannot be made.
    pub fn new(config: &GatewayConfig) -> Result<Self, ServeError> {
        let keys = KeyRing::load(config)?;
        let index = Arc::new(Index::open(&config.index)?);
        let spool = config.spool.clone().unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&spool).map_err(|e| ServeError::Spool {
            path: spool.clone(),
            reason: e.to_string(),
        })?;
        let network = Arc::new(Network::from_config(config)?);
        let reclaimer = Arc::new(Reclaimer::new(
            Arc::clone(&index),
            Arc::clone(&network),
            keys.clone(),
        ));
        let gateway = Gateway::new(
            index,
            keys.clone(),
            network,
            Arc::clone(&reclaimer),
            spool,
            &config.limits,
        );
        let mut builder = S3ServiceBuilder::new(gateway);
        builder.set_auth(keys);
        let service = HandleError::new(builder.build(), |error: s3s::HttpError| async move {
            tracing::error!("a request failed outside S3's error handling: {error:?}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        });
        Ok(Self {
            app: axum::Router::new().fallback_service(service),
            reclaimer,
            header_timeout: Duration::from_secs(config.limits.header_timeout_secs),
        })
    }

    /// Serves on `listener` until `shutdown` completes.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        // Deletes what the trash holds, from before a restart too; stops with the server.
        let _reclaiming = AbortOnDrop(tokio::spawn(self.reclaimer.run()));
        serve_connections(listener, self.app, self.header_timeout, shutdown).await;
    }
}

/// How long the requests in flight at a shutdown may take to finish.
const DRAIN: Duration = Duration::from_secs(20);

/// Serves `app` on `listener` until `shutdown`, then lets the requests in flight finish
/// for up to [`DRAIN`]. Each connection gets `header_timeout` to send a request's headers:
/// hyper's deadline, which needs a timer that `axum::serve` does not give it.
async fn serve_connections(
    listener: TcpListener,
    app: axum::Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: wait for some to close.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let mut closed = closed.clone();
        connections.spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = http.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                _ = closed.changed() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = served {
                tracing::debug!("a connection ended: {e}");
            }
        });
        // Finished connections leave the set as new ones come.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    });
    if drained.await.is_err() {
        tracing::warn!(
            "requests still in flight {} s after the shutdown were cut",
            DRAIN.as_secs()
        );
    }
}
