//! Shard handlers: put, get (whole or a byte range), head, delete, leaf proof.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use basalt_core::wire::{LeafProofAnswer, PutShardAnswer, SHARD_ROOT_HEADER};
use basalt_core::{Caller, ShardHeader, HEADER_LEN};

use super::body::Pieces;
use super::extract::{ShardAt, SignedBody, SignedBy};
use super::{authorize_blob_read, blocking, octet_stream, put_status, ApiError};
use crate::auth::now_ms;
use crate::node::Node;
use crate::store::{Lookup, PutOutcome, ShardKey, ShardUpload};

type Result<T, E = ApiError> = std::result::Result<T, E>;

/// Allows a read of a shard by its uploader, or by whoever the chain's ACL admits.
/// Unauthorized callers get 403 whether or not the shard exists here.
async fn authorize_read(node: &Node, key: &ShardKey, caller: &Caller) -> Result<ShardHeader> {
    let k = *key;
    let head = blocking(node, "head", move |s| s.head(&k)).await?;
    let uploader = head.as_ref().map(|(_, uploader)| *uploader);
    authorize_blob_read(node, &key.blob, uploader, caller).await?;
    head.map(|(h, _)| h).ok_or_else(ApiError::not_found)
}

/// `PUT /v1/shards/{blob}/{chunk}/{shard}`: body = shard header ‖ shard data.
pub async fn put(
    State(node): State<Arc<Node>>,
    ShardAt(key): ShardAt,
    body: SignedBody,
) -> Result<Response> {
    let upload = ShardUpload::from_hashed(body.bytes.clone(), body.hash)
        .map_err(|e| ApiError::bad_request("bad_header", e.to_string()))?;
    let header = *upload.header();
    if ShardKey::of(&header) != key {
        return Err(ApiError::bad_request(
            "header_mismatch",
            format!(
                "header describes blob {} chunk {} shard {}, the path says {} {} {}",
                header.blob, header.chunk, header.shard, key.blob, key.chunk, key.shard
            ),
        ));
    }
    // The node's terms: it stores no shard of a blob larger than it signs for.
    let max = node.config.max_blob_bytes;
    if header.layout.size() > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "blob_too_large",
            format!(
                "the blob is {} bytes; this node stores shards of blobs up to {max} bytes (its terms: GET /v1/stats)",
                header.layout.size()
            ),
        ));
    }
    let len = upload.data().len() as u64;
    let uploader = body.caller.word();
    let outcome = blocking(&node, "put", move |s| s.put(&upload, uploader, now_ms())).await?;
    drop(body);
    node.note_upload(key.blob);
    node.metrics.bytes_in.inc_by(len);
    node.refresh_usage_gauges();
    let answer = PutShardAnswer::new(&node.receipt(&header), outcome == PutOutcome::Stored);
    Ok((put_status(outcome), Json(answer)).into_response())
}

/// `GET /v1/shards/{blob}/{chunk}/{shard}`, optionally with `Range: bytes=a-b` over the
/// shard data (the header is then not included).
pub async fn get(
    State(node): State<Arc<Node>>,
    ShardAt(key): ShardAt,
    SignedBy(caller): SignedBy,
    headers: HeaderMap,
) -> Result<Response> {
    // The uploader reading its own shard (the common case) is served in one store call;
    // anybody else is checked against the chain's ACL before the data is read.
    let word = caller.word();
    let lookup = blocking(&node, "get", move |s| s.get_if(&key, |up| *up == word)).await?;
    let shard = match lookup {
        Lookup::Found(shard) => shard,
        Lookup::Missing => {
            authorize_blob_read(&node, &key.blob, None, &caller).await?;
            return Err(ApiError::not_found());
        }
        Lookup::Withheld { uploader, .. } => {
            authorize_blob_read(&node, &key.blob, Some(uploader), &caller).await?;
            blocking(&node, "get", move |s| s.get(&key))
                .await?
                .ok_or_else(ApiError::not_found)?
        }
    };
    let total = u64::from(shard.header.shard_len());
    let (head, data) = shard.into_parts();
    if let Some(range) = headers.get(header::RANGE) {
        let (start, end) = parse_range(range, total)?;
        let slice = data.slice(start as usize..=end as usize);
        node.metrics.bytes_out.inc_by(slice.len() as u64);
        let content_range = format!("bytes {start}-{end}/{total}");
        return Ok((
            StatusCode::PARTIAL_CONTENT,
            [(header::CONTENT_RANGE, content_range)],
            slice,
        )
            .into_response());
    }
    node.metrics.bytes_out.inc_by(total);
    Ok(octet_stream(Body::new(Pieces::new([head, data]))))
}

/// Parses one `bytes=` range over a body of `total` bytes into inclusive bounds.
fn parse_range(value: &HeaderValue, total: u64) -> Result<(u64, u64)> {
    let unsatisfiable = || {
        ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "bad_range",
            format!("expected one range `bytes=a-b` within 0..{total}"),
        )
    };
    let spec = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("bytes="))
        .filter(|v| !v.contains(','))
        .ok_or_else(unsatisfiable)?;
    let (a, b) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| unsatisfiable())?;
            (
                total.saturating_sub(n),
                total.checked_sub(1).ok_or_else(unsatisfiable)?,
            )
        }
        (a, "") => (
            a.parse().map_err(|_| unsatisfiable())?,
            total.saturating_sub(1),
        ),
        (a, b) => (
            a.parse().map_err(|_| unsatisfiable())?,
            b.parse::<u64>()
                .map_err(|_| unsatisfiable())?
                .min(total.saturating_sub(1)),
        ),
    };
    if start > end || start >= total {
        return Err(unsatisfiable());
    }
    Ok((start, end))
}

/// `HEAD /v1/shards/{blob}/{chunk}/{shard}`: length and root, no data read.
pub async fn head(
    State(node): State<Arc<Node>>,
    ShardAt(key): ShardAt,
    SignedBy(caller): SignedBy,
) -> Result<Response> {
    let header = authorize_read(&node, &key, &caller).await?;
    let len = HEADER_LEN as u64 + u64::from(header.shard_len());
    Ok((
        [
            (header::CONTENT_LENGTH, len.to_string()),
            (
                header::HeaderName::from_static(SHARD_ROOT_HEADER),
                data_encoding::HEXLOWER.encode(&header.shard_root),
            ),
        ],
        (),
    )
        .into_response())
}

/// `DELETE /v1/shards/{blob}/{chunk}/{shard}`.
pub async fn delete(
    State(node): State<Arc<Node>>,
    ShardAt(key): ShardAt,
    SignedBy(caller): SignedBy,
) -> Result<Response> {
    let head = blocking(&node, "head", move |s| s.head(&key)).await?;
    let allowed = match node.chain.may_delete(&key.blob, &caller).await? {
        Some(allowed) => allowed,
        // Unregistered: only whoever uploaded it may take it back.
        None => head.is_some_and(|(_, uploader)| uploader == caller.word()),
    };
    if !allowed {
        return Err(ApiError::forbidden(
            "only the blob's owner or a DELETE grantee may delete its shards (or the uploader before registration)",
        ));
    }
    if !blocking(&node, "delete", move |s| s.delete(&key)).await? {
        return Err(ApiError::not_found());
    }
    node.refresh_usage_gauges();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The leaf segment of the proof route (the shard comes from [`ShardAt`]).
#[derive(serde::Deserialize)]
pub struct LeafPath {
    leaf: u32,
}

/// `GET /v1/shards/{blob}/{chunk}/{shard}/proof/{leaf}`: the leaf and its path to the
/// column root, the form `proof_submit` takes.
pub async fn proof(
    State(node): State<Arc<Node>>,
    ShardAt(key): ShardAt,
    Path(LeafPath { leaf }): Path<LeafPath>,
    SignedBy(caller): SignedBy,
) -> Result<Json<LeafProofAnswer>> {
    authorize_read(&node, &key, &caller).await?;
    let proof = blocking(&node, "leaf_proof", move |s| s.leaf_proof(&key, leaf)).await?;
    let hex = data_encoding::HEXLOWER;
    Ok(Json(LeafProofAnswer {
        chunk: key.chunk,
        leaf_index: leaf,
        leaf: hex.encode(&proof.leaf),
        path: proof.path.iter().map(|h| hex.encode(h)).collect(),
        column_root: hex.encode(&proof.column_root),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(s: &str, total: u64) -> Result<(u64, u64)> {
        parse_range(&HeaderValue::from_str(s).expect("ascii"), total)
    }

    #[test]
    fn ranges() {
        assert_eq!(range("bytes=0-9", 100).ok(), Some((0, 9)));
        assert_eq!(range("bytes=90-", 100).ok(), Some((90, 99)));
        assert_eq!(range("bytes=-10", 100).ok(), Some((90, 99)));
        assert_eq!(range("bytes=50-500", 100).ok(), Some((50, 99)));
        for bad in [
            "bytes=100-",
            "bytes=9-1",
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=x-1",
            "bytes=-0",
        ] {
            assert_eq!(
                range(bad, 100).map_err(|e| e.status).err(),
                Some(StatusCode::RANGE_NOT_SATISFIABLE),
                "{bad}"
            );
        }
    }
}
