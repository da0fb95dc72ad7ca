//! Publishing a job's output as the dataset version its requester asked for.

use std::time::Duration;

use basalt::anchor_lang::prelude::Pubkey;
use basalt::state::Job;
use basalt_core::dataset::{DatasetManifest, Derivation};
use basalt_core::{BlobId, Cid};
use basalt_sandbox::JobEnv;
use basalt_sdk::{ChainError, JobPublicationTarget, PutOptions, Registrar};

use super::{Worker, WorkerError};

impl Worker {
    /// Builds the derived version's manifest from the agreed output (a tar archive whose
    /// files stay in the output blob) and stores it as the requester's public blob while
    /// publishing the version (`job_output_publish`, one transaction). `job` is read after
    /// its output was stored.
    pub(super) async fn publish_output(
        &self,
        job: &Job,
        address: &Pubkey,
    ) -> Result<(), WorkerError> {
        let Some(publication) = job.publication.as_ref().filter(|p| !p.published()) else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        let output = self.agreed_output(job, address).await?;
        let manifest = derived_manifest(job, address, &output)
            .map_err(|e| WorkerError::NotAVersion(*address, e))?;
        let dataset = self
            .chain
            .dataset(&publication.dataset)
            .await?
            .ok_or(WorkerError::Chain(ChainError::Missing {
                what: "Dataset",
                address: publication.dataset,
            }))?;
        let target = JobPublicationTarget {
            job: *address,
            requester: job.requester,
            dataset: publication.dataset,
            tag: publication.tag.clone(),
            input_version: (job.input_version != Pubkey::default()).then_some(job.input_version),
            via_grant: dataset.owner != job.requester,
        };
        let options = PutOptions {
            registrar: Registrar::JobPublication(target),
            encrypt: false,
            public: true,
            acceptance_timeout: Some(Duration::from_secs(10)),
            ..PutOptions::default()
        };
        let stored = self.put_for_job(manifest.encode().into(), options).await?;
        self.metrics
            .stage("publish", started.elapsed().as_secs_f64());
        match stored {
            Ok(report) => {
                tracing::info!(job = %address, tag = %publication.tag, version = %manifest.version_id(), files = manifest.files.len(), manifest = %report.blob, "published the output");
                Ok(())
            }
            Err(e) => {
                let job_now = self.chain.job(address).await?;
                let published = job_now
                    .and_then(|j| j.publication)
                    .is_some_and(|p| p.published());
                if published {
                    tracing::debug!(job = %address, "another worker published the output first");
                    return Ok(());
                }
                Err(WorkerError::Publish(Box::new(e)))
            }
        }
    }
}

/// The manifest of the version `job` (at `address`) derives from its input version with
/// `output`: what every agreeing worker builds alike.
fn derived_manifest(
    job: &Job,
    address: &Pubkey,
    output: &[u8],
) -> Result<DatasetManifest, basalt_core::dataset::DatasetError> {
    let inputs: Vec<Cid> = (job.input_version != Pubkey::default())
        .then(|| Cid::from_digest(job.input_cid))
        .into_iter()
        .collect();
    let env = JobEnv::for_job(address.to_bytes(), job.fuel_limit);
    let derivation = Derivation::Job {
        inputs: inputs.clone(),
        job: address.to_string(),
        module: Cid::from_digest(job.module_cid),
        params: Cid::from_digest(env.digest()),
        result: Cid::from_digest(job.result_hash),
    };
    DatasetManifest::derived(
        output,
        BlobId::from_bytes(job.output_blob.to_bytes()),
        inputs,
        derivation,
    )
}

#[cfg(test)]
mod tests {
    use basalt_core::archive::write_archive;
    use basalt_sandbox::{Outcome, Sandbox};

    use super::*;

    /// The example job of a derived version: `examples/jobs/redact.wat` over an archive of
    /// a version's files gives an archive whose files become the derived version's.
    #[test]
    fn the_redact_example_derives_a_version_from_a_version() -> anyhow::Result<()> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../examples/jobs/redact.wat"
        );
        let module = basalt_sandbox::module_from_file(path.as_ref())?;
        let long = format!("records/{}/2026.csv", "nested".repeat(20));
        let input = write_archive([
            ("people.csv", &b"name,phone\nada,555-0100\n"[..]),
            ("empty.txt", &b""[..]),
            (long.as_str(), &b"id 42"[..]),
        ])?;
        let job = Job {
            requester: Pubkey::new_unique(),
            nonce: 1,
            module_cid: *Cid::of(&module).digest(),
            input_cid: [3; 32],
            fuel_limit: 50_000_000,
            n: 1,
            k: 1,
            reward_per_worker: 1,
            escrow: 0,
            apply_deadline_slot: 1,
            commit_deadline_slot: 2,
            reveal_deadline_slot: 3,
            status: basalt::state::JobStatus::Succeeded,
            result_hash: [0; 32],
            selection_done: true,
            output_budget: 0,
            output_price_per_shard_epoch: 1,
            output_deadline_slot: 4,
            output_encrypted: false,
            output_blob: Pubkey::new_unique(),
            input_version: Pubkey::new_unique(),
            publication: None,
            bump: 255,
            workers: Vec::new(),
        };
        let address = Pubkey::new_unique();
        let env = JobEnv::for_job(address.to_bytes(), job.fuel_limit);
        let run = Sandbox::new(1)?.run(&module, input, &env)?;
        let Outcome::Success(output) = run.outcome else {
            anyhow::bail!("the run failed: {:?}", run.detail);
        };
        let job = Job {
            result_hash: *Cid::of(&output).digest(),
            ..job
        };
        let manifest = derived_manifest(&job, &address, &output)?;
        let files: Vec<(&str, Vec<u8>)> = manifest
            .files
            .iter()
            .map(|f| {
                let bytes = f.placement.map_or(Vec::new(), |p| {
                    output[p.offset as usize..(p.offset + f.size) as usize].to_vec()
                });
                (f.path.as_str(), bytes)
            })
            .collect();
        assert_eq!(
            files,
            [
                ("empty.txt", b"".to_vec()),
                ("people.csv", b"name,phone\nada,###-####\n".to_vec()),
                (long.as_str(), b"id ##".to_vec()),
            ],
            "digits redacted, paths kept"
        );
        assert_eq!(manifest.parents, vec![Cid::from_digest([3; 32])]);
        let Some(Derivation::Job {
            job: named, result, ..
        }) = &manifest.derivation
        else {
            anyhow::bail!("no job derivation");
        };
        assert_eq!((named, result), (&address.to_string(), &Cid::of(&output)));
        Ok(())
    }
}
