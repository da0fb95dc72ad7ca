//! A PUT body, received to a temporary file before it is stored: the SDK's `put` reads its
//! source twice (the content's digest names the blob every shard is uploaded under), and a
//! request body can be read once. Memory holds one received frame at a time whatever the
//! object's size; the file is removed when the [`Spool`] is dropped.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use futures::StreamExt;
use md5::{Digest, Md5};
use s3s::dto::StreamingBlob;
use tempfile::NamedTempFile;
use tokio::io::AsyncWriteExt;

/// A received body: its bytes on disk, their length and MD5.
pub struct Spool {
    file: NamedTempFile,
    pub size: u64,
    pub md5: [u8; 16],
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the request body broke off: {0}")]
    Body(String),
    #[error("the body is longer than the {0}-byte limit")]
    TooLarge(u64),
    #[error("the body sent nothing for {} s", .0.as_secs())]
    Idle(Duration),
    #[error("spooling the body: {0}")]
    Io(#[from] std::io::Error),
}

impl Spool {
    /// Receives `body` into a new file in `dir`, refusing it past `limit` bytes or when
    /// it sends nothing for `idle`.
    ///
    /// # Errors
    ///
    /// [`SpoolError`]: the body broke off, was too long or stalled, or the file could not
    /// be written.
    pub async fn receive(
        body: Option<StreamingBlob>,
        dir: &Path,
        limit: u64,
        idle: Duration,
    ) -> Result<Self, SpoolError> {
        let file = NamedTempFile::new_in(dir)?;
        let mut out = tokio::fs::File::from_std(file.reopen()?);
        let mut hasher = Md5::new();
        let mut size = 0u64;
        if let Some(mut body) = body {
            while let Some(frame) = tokio::time::timeout(idle, body.next())
                .await
                .map_err(|_| SpoolError::Idle(idle))?
            {
                let frame = frame.map_err(|e| SpoolError::Body(e.to_string()))?;
                size += frame.len() as u64;
                if size > limit {
                    return Err(SpoolError::TooLarge(limit));
                }
                hasher.update(&frame);
                out.write_all(&frame).await?;
            }
        }
        // Read back by path while this handle may still hold unwritten bytes.
        out.flush().await?;
        Ok(Self {
            file,
            size,
            md5: hasher.finalize().into(),
        })
    }

    /// The MD5 in hex: a single-part object's ETag.
    pub fn etag(&self) -> String {
        hex::encode(self.md5)
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// A reader of `len` bytes from `offset` of the file at `path` (a spool's).
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or sought.
    pub fn read_range(path: &Path, offset: u64, len: u64) -> std::io::Result<impl Read> {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(std::io::BufReader::with_capacity(1 << 20, file.take(len)))
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn body(parts: &[&'static [u8]]) -> Option<StreamingBlob> {
        let frames: Vec<Result<Bytes, std::io::Error>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        Some(StreamingBlob::wrap(futures::stream::iter(frames)))
    }

    const IDLE: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_body_is_spooled_with_its_md5_and_an_oversize_broken_or_stalled_one_is_refused(
    ) -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let spool = Spool::receive(body(&[b"hello ", b"world"]), dir.path(), 11, IDLE).await?;
        assert_eq!(spool.size, 11);
        // md5("hello world")
        assert_eq!(spool.etag(), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        let mut middle = String::new();
        Spool::read_range(spool.path(), 3, 5)?.read_to_string(&mut middle)?;
        assert_eq!(middle, "lo wo");

        let empty = Spool::receive(None, dir.path(), 0, IDLE).await?;
        assert_eq!(empty.etag(), "d41d8cd98f00b204e9800998ecf8427e");

        let over = Spool::receive(body(&[b"hello ", b"world"]), dir.path(), 10, IDLE).await;
        assert!(matches!(over, Err(SpoolError::TooLarge(10))));

        let frames: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"part")),
            Err(std::io::Error::other("reset")),
        ];
        let broken = Spool::receive(
            Some(StreamingBlob::wrap(futures::stream::iter(frames))),
            dir.path(),
            100,
            IDLE,
        )
        .await;
        assert!(matches!(broken, Err(SpoolError::Body(_))));

        // A client that sends a frame and then nothing.
        let short = Duration::from_millis(200);
        let first: Result<Bytes, std::io::Error> = Ok(Bytes::from_static(b"part"));
        let stalled = futures::stream::iter([first]).chain(futures::stream::pending());
        let stalled =
            Spool::receive(Some(StreamingBlob::wrap(stalled)), dir.path(), 100, short).await;
        assert!(matches!(stalled, Err(SpoolError::Idle(d)) if d == short));
        drop((spool, empty));
        assert_eq!(
            std::fs::read_dir(dir.path())?.count(),
            0,
            "nothing left behind"
        );
        Ok(())
    }
}
