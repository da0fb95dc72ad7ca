//! Finding and hashing the files of a directory, in parallel, as a push needs them (which
//! are new, which a parent version already stores) and as a pull needs them (which files
//! already present can be kept).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use basalt_core::dataset::check_path;
use basalt_core::Cid;

/// A regular file under a scanned directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedFile {
    /// Its path in a manifest: relative to the directory, `/`-separated.
    pub path: String,
    /// Where it is on disk.
    pub local: PathBuf,
    pub size: u64,
    /// BLAKE3 of its bytes.
    pub content: Cid,
}

/// Why a directory cannot be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}: a symbolic link (a dataset holds regular files only: copy its target in)")]
    Symlink(PathBuf),
    #[error("{0}: the path is not UTF-8")]
    NotUtf8(PathBuf),
    #[error(transparent)]
    Path(#[from] basalt_core::dataset::DatasetError),
}

/// Every regular file under `dir` (recursively), sorted by manifest path, hashed on
/// `threads` threads at once: a directory of many small files hashes as fast as the disk
/// and the cores allow, not one file at a time.
///
/// # Errors
///
/// A file or directory that cannot be read, a symbolic link, or a path a manifest cannot
/// hold (not UTF-8, or over 1024 bytes).
pub fn scan(dir: &Path, threads: usize) -> Result<Vec<ScannedFile>, ScanError> {
    let mut found = Vec::new();
    let walk = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        // A pull's scratch space is not part of the dataset.
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == super::PULL_SCRATCH));
    for entry in walk {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_owned();
            ScanError::Io {
                path,
                source: e.into(),
            }
        })?;
        let kind = entry.file_type();
        if kind.is_symlink() {
            return Err(ScanError::Symlink(entry.into_path()));
        }
        if !kind.is_file() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(dir)
            .expect("walkdir yields paths under its root");
        let path = relative
            .iter()
            .map(|c| c.to_str())
            .collect::<Option<Vec<&str>>>()
            .ok_or_else(|| ScanError::NotUtf8(entry.path().to_owned()))?
            .join("/");
        check_path(&path)?;
        found.push((path, entry.into_path()));
    }
    found.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    hash_all(found, threads)
}

/// [`scan`] on a blocking thread, for async callers.
///
/// # Errors
///
/// As [`scan`].
pub async fn scan_blocking(dir: &Path, threads: usize) -> Result<Vec<ScannedFile>, ScanError> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || scan(&dir, threads))
        .await
        .unwrap_or_else(|e| {
            Err(ScanError::Io {
                path: PathBuf::new(),
                source: std::io::Error::other(format!("scan task failed: {e}")),
            })
        })
}

/// Hashes `files` (manifest path, local path) on `threads` threads, keeping their order.
fn hash_all(files: Vec<(String, PathBuf)>, threads: usize) -> Result<Vec<ScannedFile>, ScanError> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<ScannedFile, ScanError>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, files.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((path, local)) = files.get(i) else {
                    return;
                };
                let hashed = hash_file(local).map(|(size, content)| ScannedFile {
                    path: path.clone(),
                    local: local.clone(),
                    size,
                    content,
                });
                *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(hashed);
            });
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("every index was hashed")
        })
        .collect()
}

/// The size and BLAKE3 of the file at `path`.
///
/// # Errors
///
/// When it cannot be read.
pub fn hash_file(path: &Path) -> Result<(u64, Cid), ScanError> {
    let io = |source| ScanError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = blake3::Hasher::new();
    let size = std::io::copy(
        &mut std::io::BufReader::with_capacity(1 << 20, file),
        &mut hasher,
    )
    .map_err(io)?;
    Ok((size, Cid::from_digest(*hasher.finalize().as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_listed_in_manifest_order_with_each_files_digest() -> Result<(), ScanError> {
        let dir = tempfile::tempdir().map_err(|source| ScanError::Io {
            path: PathBuf::new(),
            source,
        })?;
        let write = |path: &str, bytes: &[u8]| {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
            std::fs::write(full, bytes).expect("write");
        };
        write("b.txt", b"bee");
        write("a/z.bin", &[7u8; 300_000]);
        write("a/b/c.csv", b"");
        write("a.txt", b"ay");
        for threads in [1, 4] {
            let files = scan(dir.path(), threads)?;
            let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
            // Bytewise: '.' sorts before '/'.
            assert_eq!(paths, ["a.txt", "a/b/c.csv", "a/z.bin", "b.txt"]);
            assert_eq!(files[2].size, 300_000);
            assert_eq!(files[2].content, Cid::of(&[7u8; 300_000]));
            assert_eq!(files[1].content, Cid::of(b""));
        }
        std::os::unix::fs::symlink(dir.path().join("a.txt"), dir.path().join("link"))
            .expect("symlink");
        assert!(matches!(
            scan(dir.path(), 2),
            Err(ScanError::Symlink(p)) if p.ends_with("link")
        ));
        Ok(())
    }
}
