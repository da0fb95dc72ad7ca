//! The web explorer: a page at `/` that shows the network from the API's answers and its
//! event stream, and lets a connected Solana wallet manage its own blobs (`explorer/` in this
//! crate: `index.html`, the ES modules beside it, `style.css`, and in `vendor/` uPlot for
//! the charts, @solana/web3.js and @wallet-standard/app for the wallet). The files are
//! compiled into the binary, so a running indexer needs no other file, CDN or build step;
//! `docs/explorer.md` describes the views and the wallet actions.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use basalt::state::{ROLE_DELETE, ROLE_READ, ROLE_WRITE};
use serde::Serialize;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// The page and the files it loads, each with its content type.
const FILES: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../explorer/index.html"),
    ),
    ("/explorer/app.js", JS, include_str!("../explorer/app.js")),
    ("/explorer/dom.js", JS, include_str!("../explorer/dom.js")),
    ("/explorer/api.js", JS, include_str!("../explorer/api.js")),
    (
        "/explorer/actions.js",
        JS,
        include_str!("../explorer/actions.js"),
    ),
    (
        "/explorer/wallet.js",
        JS,
        include_str!("../explorer/wallet.js"),
    ),
    ("/explorer/idl.js", JS, include_str!("../explorer/idl.js")),
    (
        "/explorer/style.css",
        CSS,
        include_str!("../explorer/style.css"),
    ),
    // The program's committed IDL: the page builds its transactions from it.
    (
        "/explorer/basalt.json",
        JSON,
        include_str!("../../programs/basalt/idl/basalt.json"),
    ),
    // Vendored from npm by scripts/vendor-explorer.sh, each with its licence beside it.
    (
        "/explorer/vendor/uplot/uPlot.iife.min.js",
        JS,
        include_str!("../explorer/vendor/uplot/uPlot.iife.min.js"),
    ),
    (
        "/explorer/vendor/uplot/uPlot.min.css",
        CSS,
        include_str!("../explorer/vendor/uplot/uPlot.min.css"),
    ),
    (
        "/explorer/vendor/uplot/LICENSE",
        TEXT,
        include_str!("../explorer/vendor/uplot/LICENSE"),
    ),
    (
        "/explorer/vendor/solana-web3/index.iife.min.js",
        JS,
        include_str!("../explorer/vendor/solana-web3/index.iife.min.js"),
    ),
    (
        "/explorer/vendor/solana-web3/LICENSE",
        TEXT,
        include_str!("../explorer/vendor/solana-web3/LICENSE"),
    ),
    (
        "/explorer/vendor/wallet-standard/wallets.js",
        JS,
        include_str!("../explorer/vendor/wallet-standard/wallets.js"),
    ),
    (
        "/explorer/vendor/wallet-standard/LICENSE",
        TEXT,
        include_str!("../explorer/vendor/wallet-standard/LICENSE"),
    ),
];

/// What the explorer offers beyond reading the index.
#[derive(Debug, Clone, Default)]
pub struct ExplorerOptions {
    /// Where the page's wallet actions read accounts and send the transactions a wallet
    /// signed; `None`: the page offers no wallet actions.
    pub wallet: Option<WalletEndpoint>,
}

/// A Solana RPC endpoint as browsers reach it.
#[derive(Debug, Clone)]
pub struct WalletEndpoint {
    // INV: an absolute http(s) URL (`WalletEndpoint::new`): its origin goes into the
    // page's content security policy.
    rpc_url: url::Url,
    /// The cluster as the Wallet Standard names chains: `solana:mainnet`, `solana:devnet`,
    /// `solana:testnet`, `solana:localnet`.
    chain: String,
}

impl WalletEndpoint {
    /// `rpc_url` on `cluster` (`mainnet`, `devnet`, `testnet` or `localnet`).
    ///
    /// # Errors
    ///
    /// When `rpc_url` is not an http(s) URL, or the cluster is none of those.
    pub fn new(rpc_url: &str, cluster: &str) -> Result<Self, String> {
        let url = url::Url::parse(rpc_url).map_err(|e| format!("{rpc_url}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!("{rpc_url}: not an http(s) URL"));
        }
        if !matches!(cluster, "mainnet" | "devnet" | "testnet" | "localnet") {
            return Err(format!(
                "{cluster}: the cluster is mainnet, devnet, testnet or localnet"
            ));
        }
        Ok(Self {
            rpc_url: url,
            chain: format!("solana:{cluster}"),
        })
    }
}

/// `/explorer/config.json`: what the page cannot learn from the API.
#[derive(Serialize)]
struct PageConfig<'a> {
    program_id: &'a str,
    /// The grant role bits, as the program checks them.
    roles: Roles,
    wallet: Option<WalletConfig<'a>>,
}

#[derive(Serialize)]
struct Roles {
    read: u8,
    write: u8,
    delete: u8,
}

#[derive(Serialize)]
struct WalletConfig<'a> {
    rpc_url: &'a str,
    chain: &'a str,
}

/// The page loads only its own files and talks only to this server and, for wallet
/// actions, the chain's RPC endpoint: no inline script or style, nothing from elsewhere.
fn policy(options: &ExplorerOptions) -> HeaderValue {
    let chain = options
        .wallet
        .as_ref()
        .map(|w| format!(" {}", w.rpc_url.origin().ascii_serialization()))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; \
         connect-src 'self'{chain}; img-src 'self' data:; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).expect("an URL origin is a valid header value")
}

/// The explorer's routes, to merge into the API's router, for the index of `program_id`.
pub fn router<S: Clone + Send + Sync + 'static>(
    options: &ExplorerOptions,
    program_id: &str,
) -> Router<S> {
    let policy = policy(options);
    let config = serde_json::to_string(&PageConfig {
        program_id,
        roles: Roles {
            read: ROLE_READ,
            write: ROLE_WRITE,
            delete: ROLE_DELETE,
        },
        wallet: options.wallet.as_ref().map(|w| WalletConfig {
            rpc_url: w.rpc_url.as_str(),
            chain: &w.chain,
        }),
    })
    .expect("the page's config serializes");
    FILES
        .iter()
        .fold(Router::new(), |router, &(path, content_type, body)| {
            let policy = policy.clone();
            router.route(
                path,
                get(move || std::future::ready(file(content_type, body, policy.clone()))),
            )
        })
        .route(
            "/explorer/config.json",
            get(move || std::future::ready(file(JSON, config.clone(), policy.clone()))),
        )
}

fn file(content_type: &'static str, body: impl IntoResponse, policy: HeaderValue) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_SECURITY_POLICY, policy);
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The files change with the binary: a browser asks again rather than guess.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_lets_the_page_reach_the_wallet_endpoint_and_nothing_else() -> Result<(), String> {
        let none = policy(&ExplorerOptions::default());
        assert!(none.to_str().unwrap().contains("connect-src 'self';"));
        let options = ExplorerOptions {
            wallet: Some(WalletEndpoint::new("http://127.0.0.1:8899/", "localnet")?),
        };
        assert!(policy(&options)
            .to_str()
            .unwrap()
            .contains("connect-src 'self' http://127.0.0.1:8899;"));
        Ok(())
    }

    #[test]
    fn a_wallet_endpoint_is_an_http_url_on_a_known_cluster() {
        assert!(WalletEndpoint::new("ws://127.0.0.1:8900", "localnet").is_err());
        assert!(WalletEndpoint::new("127.0.0.1:8899", "localnet").is_err());
        assert!(WalletEndpoint::new("https://api.devnet.solana.com", "devnet").is_ok());
        assert!(WalletEndpoint::new("https://api.devnet.solana.com", "mainnet-beta").is_err());
    }
}
