//! Compute jobs: the Job accounts, and the instructions each role sends (the requester
//! posts; a worker applies, commits and reveals; anyone draws, finalizes and settles).

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::client::ix::{self, JobPostSources};
use basalt::client::pda;
use basalt::events::{JobFinalized, JobOutputRegistered};
use basalt::instructions::JobPostArgs;
use basalt::state::Job;
use solana_keypair::Keypair;
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_signature::Signature;
use solana_signer::Signer;

use super::wallet::associated_token_address;
use super::{ChainClient, ChainError};

/// The address of a Job account.
pub fn job_address(job: &Job) -> Pubkey {
    pda::job(&job.requester, job.nonce)
}

impl ChainClient {
    /// The job at `address`, if it exists (a job closes once every applicant is settled).
    ///
    /// # Errors
    ///
    /// When the endpoint fails or the account does not decode.
    pub async fn job(&self, address: &Pubkey) -> Result<Option<Job>, ChainError> {
        self.program_account(address, "Job").await
    }

    /// Every job on chain.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or an account does not decode.
    pub async fn jobs(&self) -> Result<Vec<Job>, ChainError> {
        self.program_accounts::<Job>("Job", Vec::new()).await
    }

    /// Every job `requester` posted that is still open or has unsettled places.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or an account does not decode.
    pub async fn jobs_of(&self, requester: &Pubkey) -> Result<Vec<Job>, ChainError> {
        // Job's first field after the discriminator is its requester.
        let filter = RpcFilterType::Memcmp(Memcmp::new_raw_bytes(8, requester.to_bytes().to_vec()));
        self.program_accounts::<Job>("Job", vec![filter]).await
    }

    /// How the job at `address` ended: its `JobFinalized` event, read from the
    /// transactions that touched it (so also after its account closed); `None` before it
    /// was finalized.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::job_events`].
    pub async fn job_finalized(
        &self,
        address: &Pubkey,
    ) -> Result<Option<JobFinalized>, ChainError> {
        Ok(self
            .job_events(address)
            .await?
            .into_iter()
            .find_map(|e| match e {
                BasaltEvent::JobFinalized(e) => Some(e),
                _ => None,
            }))
    }

    /// Where the output of the job at `address` is stored: its `JobOutputRegistered` event
    /// (so also after the job's account closed); `None` while nobody stored it.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::job_events`].
    pub async fn job_output(
        &self,
        address: &Pubkey,
    ) -> Result<Option<JobOutputRegistered>, ChainError> {
        Ok(self
            .job_events(address)
            .await?
            .into_iter()
            .find_map(|e| match e {
                BasaltEvent::JobOutputRegistered(e) => Some(e),
                _ => None,
            }))
    }

    /// Every event of the job at `address`, oldest first, read from the successful
    /// transactions that touched it: who applied, was drawn, committed, revealed, was paid
    /// or slashed, also after the account closed.
    ///
    /// # Errors
    ///
    /// When the endpoint fails or a transaction cannot be read.
    pub async fn job_events(&self, address: &Pubkey) -> Result<Vec<BasaltEvent>, ChainError> {
        let signatures = self
            .rpc
            .get_signatures_for_address(address)
            .await
            .map_err(|e| self.rpc_error(e))?;
        let mut events = Vec::new();
        // Newest first from the RPC.
        for entry in signatures.iter().rev().filter(|s| s.err.is_none()) {
            let Ok(signature) = entry.signature.parse::<Signature>() else {
                continue;
            };
            events.extend(self.events(&signature).await?);
        }
        Ok(events)
    }

    /// Posts a job from `requester`, whose stake-mint token account pays the escrow
    /// (`n * reward_per_worker`); returns the job's address.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`]; the program refuses bad parameters or deadlines.
    pub async fn post_job(
        &self,
        requester: &Keypair,
        args: JobPostArgs,
    ) -> Result<Pubkey, ChainError> {
        self.post_job_over(requester, args, &JobPostSources::default())
            .await
    }

    /// Posts a job over a dataset version (`sources.input_version`, whose version id is
    /// `args.input_cid`), or whose output is to be published into `sources.publish_dataset`
    /// (`args.publication`).
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`]; the program refuses a version that is not the input, a
    /// dataset the requester may not write or that is private, and a publication without
    /// a stored plain output.
    pub async fn post_job_over(
        &self,
        requester: &Keypair,
        args: JobPostArgs,
        sources: &JobPostSources,
    ) -> Result<Pubkey, ChainError> {
        let mint = self.stake_mint().await?;
        let from = associated_token_address(&requester.pubkey(), &mint);
        let address = pda::job(&requester.pubkey(), args.nonce);
        self.send(
            &[ix::job_post_over(&requester.pubkey(), &from, args, sources)],
            requester,
            &[],
        )
        .await?;
        Ok(address)
    }

    /// `worker` applies to the job at `job`, taking the place of `displaced` (an
    /// applicant's authority) when the list is full.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn apply_to_job(
        &self,
        worker: &Keypair,
        job: &Pubkey,
        displaced: Option<&Pubkey>,
    ) -> Result<(), ChainError> {
        self.send(
            &[ix::job_apply(&worker.pubkey(), job, displaced)],
            worker,
            &[],
        )
        .await?;
        Ok(())
    }

    /// Draws the job's workers (anyone may, after the apply deadline); `payer` pays the fee.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn select_job_workers(
        &self,
        payer: &Keypair,
        job: &Pubkey,
    ) -> Result<(), ChainError> {
        self.send(&[ix::job_select(job)], payer, &[]).await?;
        Ok(())
    }

    /// `worker` commits to a result: `commitment` is
    /// `basalt::instructions::job_commitment(result, worker, salt)`.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn commit_job_result(
        &self,
        worker: &Keypair,
        job: &Pubkey,
        commitment: [u8; 32],
    ) -> Result<(), ChainError> {
        self.send(
            &[ix::job_commit(&worker.pubkey(), job, commitment)],
            worker,
            &[],
        )
        .await?;
        Ok(())
    }

    /// `worker` opens its commitment.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn reveal_job_result(
        &self,
        worker: &Keypair,
        job: &Pubkey,
        result: [u8; 32],
        salt: [u8; 32],
    ) -> Result<(), ChainError> {
        self.send(
            &[ix::job_reveal(&worker.pubkey(), job, result, salt)],
            worker,
            &[],
        )
        .await?;
        Ok(())
    }

    /// Finalizes `job` (anyone may, once it is finalizable); a failed job's escrow goes back
    /// to the requester's token account.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn finalize_job(&self, payer: &Keypair, job: &Job) -> Result<(), ChainError> {
        let mint = self.stake_mint().await?;
        let requester_tokens = associated_token_address(&job.requester, &mint);
        let ix = ix::job_finalize(&job_address(job), &job.requester, &requester_tokens);
        self.send(&[ix], payer, &[]).await?;
        Ok(())
    }

    /// Records the requester's own blob whose content is `job`'s agreed result as the job's
    /// output (`job_output_link`), signed by `worker`, an agreeing worker.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn link_job_output(&self, worker: &Keypair, job: &Job) -> Result<(), ChainError> {
        let ix = ix::job_output_link(
            &worker.pubkey(),
            &job_address(job),
            &job.requester,
            &job.result_hash,
        );
        self.send(&[ix], worker, &[]).await?;
        Ok(())
    }

    /// Settles the place of `worker` (an applicant's authority) in the finalized `job`:
    /// pays it, penalizes it or releases it, into its stake-mint token account.
    ///
    /// # Errors
    ///
    /// As [`ChainClient::send`].
    pub async fn settle_job_worker(
        &self,
        payer: &Keypair,
        job: &Job,
        worker: &Pubkey,
    ) -> Result<(), ChainError> {
        let mint = self.stake_mint().await?;
        let worker_tokens = associated_token_address(worker, &mint);
        let requester_tokens = associated_token_address(&job.requester, &mint);
        let ix = ix::job_settle(
            &job_address(job),
            &job.requester,
            &requester_tokens,
            worker,
            &worker_tokens,
        );
        self.send(&[ix], payer, &[]).await?;
        Ok(())
    }
}
