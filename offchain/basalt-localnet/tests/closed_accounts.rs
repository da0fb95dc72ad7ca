//! An account closed while others read it stays closed on the embedded chain.
//!
//! surfpool mirrors every account into its SQLite state, but in a second step after the
//! transaction that changed it, under its own lock. A read that came between the two found
//! a just-closed account missing from the SVM but still in the mirror, took the mirror's
//! copy for an account the SVM had not loaded yet, and wrote it back: the account was alive
//! again, with its data from before the closing, and no transaction said so. On a local
//! network the nodes read blob accounts all the time, and the S3 gateway's deleted blobs
//! came back this way (docs/gateway.md).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{ensure, Result};
use basalt_localnet::{ChainOptions, LocalChain, SOL};
use basalt_sdk::ChainClient;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_system_interface::instruction::transfer;

/// Accounts opened and closed under reads.
const ROUNDS: usize = 60;
/// Tasks reading the account being closed, each as fast as the chain answers.
const READERS: usize = 3;
/// What each account holds until it is closed.
const LAMPORTS: u64 = 1_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_closed_while_it_is_read_stays_closed() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // The mirror exists only with a state directory: the local network always has one.
    let chain = LocalChain::start(&ChainOptions {
        state_dir: Some(dir.path().join("chain")),
        ..ChainOptions::default()
    })?;
    let client = Arc::new(ChainClient::new(chain.rpc_url()));
    let payer = Keypair::new();
    client.airdrop(&payer.pubkey(), 10 * SOL).await?;

    let mut came_back = Vec::new();
    for _ in 0..ROUNDS {
        let account = Keypair::new();
        client
            .send(
                &[transfer(&payer.pubkey(), &account.pubkey(), LAMPORTS)],
                &payer,
                &[],
            )
            .await?;

        let stop = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..READERS)
            .map(|_| {
                let (client, stop, address) =
                    (Arc::clone(&client), Arc::clone(&stop), account.pubkey());
                tokio::spawn(async move {
                    let mut reads = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        // getAccountInfo; an error (no such account) is an answer too.
                        let _ = client.rpc().get_account(&address).await;
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        // The payer pays the fee: the account's balance goes to 0, which closes it.
        client
            .send(
                &[transfer(&account.pubkey(), &payer.pubkey(), LAMPORTS)],
                &payer,
                &[&account],
            )
            .await?;
        stop.store(true, Ordering::Relaxed);
        let mut reads = 0;
        for reader in readers {
            reads += reader.await?;
        }
        ensure!(
            reads > 0,
            "the readers read nothing while the account closed"
        );

        let after = client
            .rpc()
            .get_multiple_accounts(&[account.pubkey()])
            .await?;
        if let Some(Some(found)) = after.first() {
            came_back.push((account.pubkey(), found.lamports));
        }
    }
    chain.stop();
    ensure!(
        came_back.is_empty(),
        "{} of {ROUNDS} closed accounts are alive again (address, lamports): {came_back:?}",
        came_back.len()
    );
    Ok(())
}
