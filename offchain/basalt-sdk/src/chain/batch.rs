//! Many transactions from one signer, pipelined: what a prover or a crank sends every
//! epoch. Each is signed and sent at once (many in flight, each after a preflight so a
//! refusal comes back with the program's error), then their statuses are read in batches;
//! those whose blockhash expired before they landed (or was unknown to the preflight) are
//! signed again with a fresh one and sent again, a bounded number of times. A transaction
//! that never lands changes nothing, so sending it again cannot apply it twice.

use std::time::Duration;

use basalt::anchor_lang::solana_program::instruction::Instruction;
use futures::stream::{self, StreamExt};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Hash;
use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

use solana_rpc_client_api::client_error::{Error as RpcError, ErrorKind};

use super::send::ATTEMPTS;
use super::{program_error, ChainClient, ChainError};

/// Transactions sent at once.
const IN_FLIGHT: usize = 16;
/// Signatures per `getSignatureStatuses` call (the RPC's limit).
const STATUS_BATCH: usize = 256;
/// How often unconfirmed transactions are looked up.
const POLL: Duration = Duration::from_millis(100);

impl ChainClient {
    /// Sends each of `batch` (the instructions of one transaction) signed by `payer`, many
    /// at once, and waits until each is confirmed, refused or given up. The answers are in
    /// `batch`'s order.
    ///
    /// # Errors
    ///
    /// Each answer on its own: [`ChainError::Program`] when the program refused that
    /// transaction, [`ChainError::Expired`] when it did not land in [`ATTEMPTS`] rounds,
    /// [`ChainError::Rpc`] when the endpoint failed for it.
    pub async fn send_many(
        &self,
        batch: &[Vec<Instruction>],
        payer: &Keypair,
    ) -> Vec<Result<Signature, ChainError>> {
        let mut answers: Vec<Option<Result<Signature, ChainError>>> =
            (0..batch.len()).map(|_| None).collect();
        for round in 1..=ATTEMPTS {
            let pending: Vec<usize> = (0..batch.len()).filter(|i| answers[*i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            let blockhash = match self.rpc.get_latest_blockhash().await {
                Ok(hash) => hash,
                Err(e) => {
                    let why = e.to_string();
                    for i in pending {
                        answers[i] = Some(Err(self.rpc_failure(&why)));
                    }
                    break;
                }
            };
            let sent = self.send_round(batch, &pending, payer, blockhash).await;
            let mut in_wait = Vec::new();
            let fresh = |outcome: &Result<Signature, ChainError>| {
                matches!(outcome, Err(e) if e.wants_fresh_blockhash()) && round < ATTEMPTS
            };
            for (i, result) in sent {
                match result {
                    Ok(signature) => in_wait.push((i, signature)),
                    // A stale blockhash: signed again next round, or given up after the last.
                    stale if fresh(&stale) => {}
                    Err(e) => answers[i] = Some(Err(e)),
                }
            }
            for (i, outcome) in self.await_confirmations(in_wait, blockhash).await {
                if !fresh(&outcome) {
                    answers[i] = Some(outcome);
                }
            }
        }
        answers
            .into_iter()
            .map(|a| a.unwrap_or_else(|| Err(ChainError::Expired(Signature::default()))))
            .collect()
    }

    /// Signs and sends the transactions at `pending` with `blockhash`, [`IN_FLIGHT`] at a
    /// time; returns each one's signature or why it was refused at once.
    async fn send_round(
        &self,
        batch: &[Vec<Instruction>],
        pending: &[usize],
        payer: &Keypair,
        blockhash: Hash,
    ) -> Vec<(usize, Result<Signature, ChainError>)> {
        stream::iter(pending.iter().copied())
            .map(|i| async move {
                let tx = Transaction::new_signed_with_payer(
                    &batch[i],
                    Some(&payer.pubkey()),
                    &[payer],
                    blockhash,
                );
                let sent = self
                    .rpc
                    .send_transaction_with_config(
                        &tx,
                        RpcSendTransactionConfig {
                            preflight_commitment: Some(CommitmentConfig::confirmed().commitment),
                            ..RpcSendTransactionConfig::default()
                        },
                    )
                    .await
                    .map_err(|e| self.rpc_error(e));
                (i, sent)
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await
    }

    /// Polls the statuses of `waiting` in batches until each is confirmed, failed, or its
    /// `blockhash` expired.
    async fn await_confirmations(
        &self,
        mut waiting: Vec<(usize, Signature)>,
        blockhash: Hash,
    ) -> Vec<(usize, Result<Signature, ChainError>)> {
        let mut done = Vec::with_capacity(waiting.len());
        let mut polls = 0u32;
        while !waiting.is_empty() {
            let mut still = Vec::with_capacity(waiting.len());
            for group in waiting.chunks(STATUS_BATCH) {
                let signatures: Vec<Signature> = group.iter().map(|(_, s)| *s).collect();
                let statuses = match self.rpc.get_signature_statuses(&signatures).await {
                    Ok(r) => r.value,
                    Err(e) => {
                        let why = e.to_string();
                        done.extend(group.iter().map(|(i, _)| (*i, Err(self.rpc_failure(&why)))));
                        continue;
                    }
                };
                for ((i, signature), status) in group.iter().zip(statuses) {
                    match status {
                        Some(s) if s.satisfies_commitment(CommitmentConfig::confirmed()) => {
                            done.push((*i, s.err.map_or(Ok(*signature), |e| Err(program_error(e)))))
                        }
                        Some(s) if s.err.is_some() => {
                            done.push((*i, Err(program_error(s.err.clone().expect("checked")))))
                        }
                        _ => still.push((*i, *signature)),
                    }
                }
            }
            waiting = still;
            polls += 1;
            // Every second, check that the waiting transactions can still land.
            if !waiting.is_empty() && polls.is_multiple_of(10) {
                match self
                    .rpc
                    .is_blockhash_valid(&blockhash, CommitmentConfig::processed())
                    .await
                {
                    Ok(true) => {}
                    // Nothing can land any more: one last look tells which did (just before).
                    Ok(false) => waiting = self.last_look(waiting, &mut done).await,
                    Err(e) => {
                        let why = e.to_string();
                        done.extend(
                            waiting
                                .drain(..)
                                .map(|(i, _)| (i, Err(self.rpc_failure(&why)))),
                        );
                    }
                }
            }
            if !waiting.is_empty() {
                tokio::time::sleep(POLL).await;
            }
        }
        done
    }

    /// Once their blockhash expired: those of `waiting` that landed (at any commitment)
    /// are still waited for, those refused are answered, the rest expired.
    async fn last_look(
        &self,
        waiting: Vec<(usize, Signature)>,
        done: &mut Vec<(usize, Result<Signature, ChainError>)>,
    ) -> Vec<(usize, Signature)> {
        let mut landed = Vec::new();
        for group in waiting.chunks(STATUS_BATCH) {
            let signatures: Vec<Signature> = group.iter().map(|(_, s)| *s).collect();
            match self.rpc.get_signature_statuses(&signatures).await {
                Ok(statuses) => {
                    for (&(i, signature), status) in group.iter().zip(statuses.value) {
                        match status {
                            None => done.push((i, Err(ChainError::Expired(signature)))),
                            Some(s) => match s.err {
                                Some(e) => done.push((i, Err(program_error(e)))),
                                None => landed.push((i, signature)),
                            },
                        }
                    }
                }
                Err(e) => {
                    let why = e.to_string();
                    done.extend(group.iter().map(|(i, _)| (*i, Err(self.rpc_failure(&why)))));
                }
            }
        }
        landed
    }

    /// An RPC failure that answers several transactions at once (one call for a batch).
    fn rpc_failure(&self, why: &str) -> ChainError {
        ChainError::Rpc {
            url: self.rpc.url(),
            source: Box::new(RpcError::from(ErrorKind::Custom(why.to_owned()))),
        }
    }
}
