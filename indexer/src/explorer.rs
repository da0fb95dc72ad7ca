//! The web explorer: a page at `/` that shows the network from the API's answers and its
//! event stream, nothing else (`explorer/` in this crate: `index.html`, `app.js`,
//! `style.css`, and uPlot for the charts in `vendor/`). The files are compiled into the binary, so a running indexer needs no
//! other file, CDN or build step; `docs/explorer.md` describes the views.

use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The page and the files it loads, each with its content type.
const FILES: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("../explorer/index.html"),
    ),
    (
        "/explorer/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../explorer/app.js"),
    ),
    (
        "/explorer/style.css",
        "text/css; charset=utf-8",
        include_str!("../explorer/style.css"),
    ),
    // Vendored from npm by scripts/vendor-explorer.sh, with its licence beside it.
    (
        "/explorer/vendor/uplot/uPlot.iife.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../explorer/vendor/uplot/uPlot.iife.min.js"),
    ),
    (
        "/explorer/vendor/uplot/uPlot.min.css",
        "text/css; charset=utf-8",
        include_str!("../explorer/vendor/uplot/uPlot.min.css"),
    ),
    (
        "/explorer/vendor/uplot/LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../explorer/vendor/uplot/LICENSE"),
    ),
];

/// The page loads only its own files and talks only to this server: no inline script or
/// style, nothing from elsewhere.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
                      form-action 'none'; frame-ancestors 'none'";

/// The explorer's routes, to merge into the API's router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    FILES
        .iter()
        .fold(Router::new(), |router, &(path, content_type, body)| {
            router.route(path, get(move || async move { file(content_type, body) }))
        })
}

fn file(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // The files change with the binary: a browser asks again rather than guess.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
