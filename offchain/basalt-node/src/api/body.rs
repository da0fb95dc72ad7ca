//! A response body sent as a few buffers with its exact length declared, so a shard goes out
//! as its header plus the data still in the store's buffer, without joining them first.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// Buffers sent in order as one body of known length.
#[derive(Debug)]
pub struct Pieces {
    // INV: no piece is empty, so the body has ended exactly when none is left.
    pieces: VecDeque<Bytes>,
}

impl Pieces {
    /// A body of `pieces`, in order.
    pub fn new(pieces: impl IntoIterator<Item = Bytes>) -> Self {
        Self {
            pieces: pieces.into_iter().filter(|p| !p.is_empty()).collect(),
        }
    }
}

impl Body for Pieces {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.pieces.pop_front().map(|piece| Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.pieces.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.pieces.iter().map(|p| p.len() as u64).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn pieces_arrive_in_order_with_their_exact_length() -> Result<(), Infallible> {
        let body = Pieces::new([
            Bytes::from_static(b"head"),
            Bytes::new(),
            Bytes::from_static(b"-data"),
        ]);
        assert_eq!(body.size_hint().exact(), Some(9));
        let collected = body.collect().await?.to_bytes();
        assert_eq!(&collected[..], b"head-data");
        assert!(Pieces::new([]).is_end_stream());
        Ok(())
    }
}
