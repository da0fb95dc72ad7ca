//! The worker's journal: for each job it committed to, the result and the salt. A
//! commitment is SHA-256(result || worker || salt); without the salt it can never be
//! revealed, and an unrevealed commitment costs the worker reputation and its pay. So a
//! pledge is on disk, synced, before its commitment is sent, and stays until the worker's
//! place is settled.
//!
//! One file per job (`<hex of the job's key>.json`), written to a temporary file, synced,
//! renamed over the final name and the directory synced: a crash leaves either no pledge or
//! a whole one, never a torn one. A run's output is kept the same way beside its pledge
//! (`<hex>.out`) until the place is settled, so a restarted worker stores the output it
//! committed to without running the job again.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

/// The result a worker committed to for one job, and the salt that opens the commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pledge {
    /// The job, as its chain names it (a Solana address, `requester:nonce` on NEAR).
    pub job: String,
    #[serde(with = "hex32")]
    pub result: [u8; 32],
    #[serde(with = "hex32")]
    pub salt: [u8; 32],
    /// What the run was (`output of N bytes`, `failure: out of fuel`), for the operator.
    pub summary: String,
}

/// Why the journal could not be read or written. A journal that cannot be written must
/// stop the worker from committing.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("journal entry {path} is unreadable ({why}); its salt is lost unless restored")]
    Corrupt { path: PathBuf, why: String },
}

/// The pledges of one worker, in a directory of its own.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// Opens (creating it if needed) the journal in `dir`, and removes temporary files a
    /// crash left behind (their pledges were never complete, so never committed).
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`].
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, JournalError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let path = entry.map_err(io(&dir))?.path();
            if path.extension().is_some_and(|e| e == "tmp") {
                fs::remove_file(&path).map_err(io(&path))?;
            }
        }
        Ok(Self { dir })
    }

    /// The pledge for `job`: the one already on disk if there is one (a job never gets a
    /// second salt), else a new one for `result` with a fresh random salt, synced to disk
    /// before it is returned.
    ///
    /// # Errors
    ///
    /// [`JournalError`]: nothing may be committed then.
    pub fn pledge(
        &self,
        job: &str,
        result: [u8; 32],
        summary: &str,
    ) -> Result<Pledge, JournalError> {
        if let Some(existing) = self.get(job)? {
            return Ok(existing);
        }
        let mut salt = [0u8; 32];
        OsRng.fill_bytes(&mut salt);
        let pledge = Pledge {
            job: job.to_owned(),
            result,
            salt,
            summary: summary.to_owned(),
        };
        self.write(&pledge)?;
        Ok(pledge)
    }

    /// The pledge for `job`, if the worker made one.
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`], or [`JournalError::Corrupt`] for an entry that does not parse
    /// or names another job.
    pub fn get(&self, job: &str) -> Result<Option<Pledge>, JournalError> {
        let path = self.path_of(job);
        match fs::read(&path) {
            Ok(bytes) => parse(&path, &bytes, Some(job)).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Every pledge in the journal.
    ///
    /// # Errors
    ///
    /// As [`Journal::get`].
    pub fn all(&self) -> Result<Vec<Pledge>, JournalError> {
        let mut pledges = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io(&self.dir))? {
            let path = entry.map_err(io(&self.dir))?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = fs::read(&path).map_err(io(&path))?;
                pledges.push(parse(&path, &bytes, None)?);
            }
        }
        pledges.sort_by(|a, b| a.job.cmp(&b.job));
        Ok(pledges)
    }

    /// Keeps the output of `job`'s run until its place is settled.
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`].
    pub fn keep_output(&self, job: &str, output: &[u8]) -> Result<(), JournalError> {
        self.write_file(&self.output_path_of(job), output)
    }

    /// The output kept for `job`, if any.
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`].
    pub fn output(&self, job: &str) -> Result<Option<Vec<u8>>, JournalError> {
        let path = self.output_path_of(job);
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Drops the pledge for `job`, and its output, once its place is settled.
    ///
    /// # Errors
    ///
    /// [`JournalError::Io`].
    pub fn forget(&self, job: &str) -> Result<(), JournalError> {
        for path in [self.output_path_of(job), self.path_of(job)] {
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
        }
        sync_dir(&self.dir)
    }

    fn path_of(&self, job: &str) -> PathBuf {
        self.dir
            .join(format!("{}.json", HEXLOWER.encode(job.as_bytes())))
    }

    fn output_path_of(&self, job: &str) -> PathBuf {
        self.dir
            .join(format!("{}.out", HEXLOWER.encode(job.as_bytes())))
    }

    fn write(&self, pledge: &Pledge) -> Result<(), JournalError> {
        let path = self.path_of(&pledge.job);
        let bytes = serde_json::to_vec_pretty(pledge).map_err(|e| JournalError::Corrupt {
            path: path.clone(),
            why: e.to_string(),
        })?;
        self.write_file(&path, &bytes)
    }

    /// Writes `bytes` to `path` whole or not at all (see the module docs).
    fn write_file(&self, path: &Path, bytes: &[u8]) -> Result<(), JournalError> {
        let tmp = PathBuf::from(format!("{}.tmp", path.display()));
        let mut file = fs::File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, path).map_err(io(path))?;
        sync_dir(&self.dir)
    }
}

fn parse(path: &Path, bytes: &[u8], job: Option<&str>) -> Result<Pledge, JournalError> {
    let pledge: Pledge = serde_json::from_slice(bytes).map_err(|e| JournalError::Corrupt {
        path: path.to_owned(),
        why: e.to_string(),
    })?;
    if job.is_some_and(|job| job != pledge.job) {
        return Err(JournalError::Corrupt {
            path: path.to_owned(),
            why: format!("it names job {}", pledge.job),
        });
    }
    Ok(pledge)
}

/// Makes a rename or removal in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), JournalError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_owned(),
        source,
    }
}

/// 32 bytes as 64 hex digits in the journal's JSON.
mod hex32 {
    use data_encoding::HEXLOWER;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&HEXLOWER.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = HEXLOWER.decode(text.as_bytes()).map_err(D::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom("expected 32 bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "7Yq3Hc9kQ2ZVw5TzJ5x4G8pF1bRk3mNnL4sU6vW8yA2B";

    #[test]
    fn a_pledge_survives_a_restart_and_keeps_its_salt() -> Result<(), JournalError> {
        let dir = tempfile::tempdir().map_err(io(Path::new("tempdir")))?;
        let journal = Journal::open(dir.path())?;
        assert_eq!(journal.get(JOB)?, None);
        let pledge = journal.pledge(JOB, [1; 32], "output of 6 bytes")?;
        assert_ne!(pledge.salt, [0; 32]);
        // A second run of the same job (after a crash before the commitment) gets the
        // first pledge back: one salt per job, whatever the new result.
        let again = journal.pledge(JOB, [2; 32], "other")?;
        assert_eq!(again, pledge);

        let reopened = Journal::open(dir.path())?;
        assert_eq!(reopened.get(JOB)?, Some(pledge.clone()));
        assert_eq!(reopened.all()?, vec![pledge]);
        reopened.keep_output(JOB, b"6 bytes")?;
        assert_eq!(
            Journal::open(dir.path())?.output(JOB)?,
            Some(b"6 bytes".to_vec())
        );
        reopened.forget(JOB)?;
        assert_eq!(reopened.get(JOB)?, None);
        assert_eq!(
            reopened.output(JOB)?,
            None,
            "the output goes with its pledge"
        );
        reopened.forget(JOB)?;
        Ok(())
    }

    #[test]
    fn jobs_of_either_chain_get_their_own_entry() -> Result<(), JournalError> {
        let dir = tempfile::tempdir().map_err(io(Path::new("tempdir")))?;
        let journal = Journal::open(dir.path())?;
        let near = "carol.testnet:1";
        let a = journal.pledge(JOB, [1; 32], "a")?;
        let b = journal.pledge(near, [2; 32], "b")?;
        assert_ne!(a.salt, b.salt);
        assert_eq!(journal.get(near)?.map(|p| p.result), Some([2; 32]));
        assert_eq!(journal.all()?.len(), 2);
        Ok(())
    }

    #[test]
    fn a_torn_write_is_discarded_and_a_damaged_entry_is_reported() -> Result<(), JournalError> {
        let dir = tempfile::tempdir().map_err(io(Path::new("tempdir")))?;
        let journal = Journal::open(dir.path())?;
        let path = journal.path_of(JOB);
        // A crash between writing the temporary file and renaming it.
        let torn = PathBuf::from(format!("{}.tmp", path.display()));
        fs::write(&torn, b"{\"job\":").map_err(io(&path))?;
        let journal = Journal::open(dir.path())?;
        assert_eq!(journal.get(JOB)?, None);
        assert!(!torn.exists());

        fs::write(&path, b"{not json").map_err(io(&path))?;
        assert!(matches!(
            journal.get(JOB),
            Err(JournalError::Corrupt { .. })
        ));
        assert!(matches!(journal.all(), Err(JournalError::Corrupt { .. })));
        assert!(
            matches!(
                journal.pledge(JOB, [1; 32], "x"),
                Err(JournalError::Corrupt { .. })
            ),
            "a damaged pledge is never replaced by a new salt"
        );
        Ok(())
    }
}
