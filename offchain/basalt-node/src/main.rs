//! `basalt-node`: the storage node binary. See the library docs for what it serves.

use anyhow::Result;
use clap::Parser;

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = basalt_node::config::Cli::parse().resolve()?;
    // Built by hand rather than by `#[tokio::main]`: the thread count is configuration.
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(threads) = config.worker_threads {
        runtime.worker_threads(threads);
    }
    runtime.build()?.block_on(basalt_node::serve(
        config,
        shutdown_signal(),
        |addr, provider| {
            let address = provider.to_string();
            // One line on stdout that scripts (and the localnet) read to find the node.
            println!("basalt-node listening on {addr} as {address}");
            tracing::info!(%addr, %address, "serving");
        },
    ))
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
