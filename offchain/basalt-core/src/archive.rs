//! A dataset version's files as one byte stream: how a job reads a version and writes the
//! version it derives.
//!
//! A job's input and output are single byte strings (its stdin and stdout). A job over a
//! dataset version reads that version's files as a tar archive (POSIX ustar, long paths as
//! GNU long names) and, when its output is published as a version, writes a tar archive
//! whose regular files become that version's files. Tar is what every language a WASI
//! module is written in can read and write; the archive a worker builds is canonical (files
//! in the manifest's order, mode 0644, owner 0, time 0), so every worker runs the job on
//! the same bytes.
//!
//! A published file's bytes are not copied: they stay in the output blob, and the derived
//! version's manifest places each file at its offset in it.

use std::io::Cursor;

use crate::dataset::check_path;

/// A regular file of an archive: its path and where its bytes are in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    pub path: String,
    pub offset: u64,
    pub size: u64,
}

/// Why bytes are not an archive a version can be made of.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ArchiveError {
    #[error("not a tar archive: {0}")]
    Malformed(String),
    #[error("{0:?} is a {1}: a version holds regular files only")]
    NotAFile(String, &'static str),
    #[error("{0:?} cannot be a file of a version: {1}")]
    BadPath(String, String),
    #[error("{0:?} is in the archive twice")]
    Duplicate(String),
}

/// Writes `files` (path, bytes), in the order given, as a canonical tar archive.
///
/// # Errors
///
/// [`ArchiveError::Malformed`] when a path cannot be written into a tar header.
pub fn write_archive<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<u8>, ArchiveError> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.mode(tar::HeaderMode::Deterministic);
    for (path, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        builder
            .append_data(&mut header, path, bytes)
            .map_err(|e| ArchiveError::Malformed(format!("{path}: {e}")))?;
    }
    builder
        .into_inner()
        .map_err(|e| ArchiveError::Malformed(e.to_string()))
}

/// The regular files of the tar archive `bytes`, in archive order; directories are
/// skipped (a version's directories are implied by its paths).
///
/// # Errors
///
/// Bytes that are not a tar archive, an entry that is neither a file nor a directory
/// (links, devices), a path a manifest cannot hold, or one path twice.
pub fn read_archive(bytes: &[u8]) -> Result<Vec<ArchiveEntry>, ArchiveError> {
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    let entries = archive
        .entries()
        .map_err(|e| ArchiveError::Malformed(e.to_string()))?;
    let mut files = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for entry in entries {
        let entry = entry.map_err(|e| ArchiveError::Malformed(e.to_string()))?;
        let path = entry
            .path()
            .map_err(|e| ArchiveError::Malformed(e.to_string()))?
            .to_str()
            .ok_or_else(|| ArchiveError::Malformed("a path that is not UTF-8".into()))?
            .to_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            return Err(ArchiveError::NotAFile(path, kind_name(kind)));
        }
        // A leading "./" names the same file as the path without it.
        let path = path.strip_prefix("./").unwrap_or(&path).to_owned();
        check_path(&path).map_err(|e| ArchiveError::BadPath(path.clone(), e.to_string()))?;
        if !seen.insert(path.clone()) {
            return Err(ArchiveError::Duplicate(path));
        }
        let offset = entry.raw_file_position();
        let size = entry.size();
        let end = offset.checked_add(size);
        if end.is_none_or(|end| end > bytes.len() as u64) {
            return Err(ArchiveError::Malformed(format!("{path} runs past the end")));
        }
        files.push(ArchiveEntry { path, offset, size });
    }
    Ok(files)
}

/// The bytes of `entry` in its archive `bytes`.
pub fn entry_bytes<'a>(bytes: &'a [u8], entry: &ArchiveEntry) -> &'a [u8] {
    // INV: read_archive checked offset + size <= bytes.len().
    &bytes[entry.offset as usize..(entry.offset + entry.size) as usize]
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Symlink => "symbolic link",
        tar::EntryType::Link => "hard link",
        tar::EntryType::Char | tar::EntryType::Block => "device",
        tar::EntryType::Fifo => "fifo",
        _ => "special entry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_round_trips_and_is_the_same_bytes_every_time() -> Result<(), ArchiveError> {
        let long = format!("deep/{}/file.csv", "d".repeat(120));
        let files: Vec<(&str, &[u8])> = vec![
            ("a.txt", b"alpha"),
            ("empty", b""),
            (long.as_str(), b"long name"),
        ];
        let bytes = write_archive(files.clone())?;
        assert_eq!(bytes, write_archive(files.clone())?, "canonical");
        let read = read_archive(&bytes)?;
        let back: Vec<(&str, &[u8])> = read
            .iter()
            .map(|e| (e.path.as_str(), entry_bytes(&bytes, e)))
            .collect();
        assert_eq!(back, files);
        Ok(())
    }

    #[test]
    fn links_bad_paths_duplicates_and_garbage_are_refused() -> Result<(), ArchiveError> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        builder
            .append_link(&mut header, "link", "/etc/passwd")
            .map_err(|e| ArchiveError::Malformed(e.to_string()))?;
        let bytes = builder
            .into_inner()
            .map_err(|e| ArchiveError::Malformed(e.to_string()))?;
        assert!(matches!(
            read_archive(&bytes),
            Err(ArchiveError::NotAFile(p, "symbolic link")) if p == "link"
        ));
        let twice = write_archive([("a", &b"1"[..]), ("./a", &b"2"[..])])?;
        assert_eq!(
            read_archive(&twice),
            Err(ArchiveError::Duplicate("a".into()))
        );
        // The tar crate refuses to write `..`; another writer need not.
        let mut header = tar::Header::new_ustar();
        header.as_mut_bytes()[..9].copy_from_slice(b"a/../../b");
        header.set_size(1);
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append(&header, &b"1"[..])
            .map_err(|e| ArchiveError::Malformed(e.to_string()))?;
        let escape = builder
            .into_inner()
            .map_err(|e| ArchiveError::Malformed(e.to_string()))?;
        assert!(
            matches!(read_archive(&escape), Err(ArchiveError::BadPath(..))),
            "a path out of the version"
        );
        assert!(read_archive(&[7; 1024]).is_err(), "not an archive");
        let mut cut = write_archive([("a", &[1u8; 2000][..])])?;
        cut.truncate(1024);
        assert!(read_archive(&cut).is_err(), "a file cut short");
        Ok(())
    }
}
