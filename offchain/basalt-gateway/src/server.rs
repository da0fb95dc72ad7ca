//! The gateway as a server: the S3 service (`s3s`, with the access keys checking every
//! signature) served over HTTP/1.1 by axum.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::error_handling::HandleError;
use axum::http::StatusCode;
use basalt::anchor_lang::prelude::Pubkey;
use basalt_sdk::ChainClient;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use crate::auth::KeyRing;
use crate::config::{ConfigError, GatewayConfig};
use crate::index::{Index, IndexError};
use crate::network::Network;
use crate::service::Gateway;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("opening the index: {0}")]
    Index(#[from] IndexError),
    #[error("lookup_table {0:?} is not a base58 address")]
    LookupTable(String),
    #[error("the spool directory {path}: {reason}")]
    Spool { path: PathBuf, reason: String },
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves `config`'s gateway on `listener` until `shutdown` completes.
///
/// # Errors
///
/// [`ServeError`]: a wallet that does not load, an index that does not open, the listener
/// failing.
pub async fn serve(
    config: &GatewayConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let keys = KeyRing::load(config)?;
    let index = Arc::new(Index::open(&config.index)?);
    let lookup_table = config
        .lookup_table
        .as_deref()
        .map(|t| {
            t.parse::<Pubkey>()
                .map_err(|_| ServeError::LookupTable(t.to_owned()))
        })
        .transpose()?;
    let spool = config.spool.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&spool).map_err(|e| ServeError::Spool {
        path: spool.clone(),
        reason: e.to_string(),
    })?;
    let chain = Arc::new(ChainClient::new(&config.url));
    let network = Arc::new(Network::new(chain, &config.storage, lookup_table));
    let gateway = Gateway::new(index, keys.clone(), network, spool);
    let mut builder = S3ServiceBuilder::new(gateway);
    builder.set_auth(keys);
    let service = HandleError::new(builder.build(), |error: s3s::HttpError| async move {
        tracing::error!("a request failed outside S3's error handling: {error:?}");
        (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
    });
    let app = axum::Router::new().fallback_service(service);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
