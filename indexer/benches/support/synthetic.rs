//! Synthetic but consistent event streams for the ingest benchmark (kept out of the library):
//! providers register and stake, then blobs are registered, placed, activated, funded,
//! proven and paid, the way the program emits them.

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::events::*;

use basalt_indexer::record::{EventRecord, TxRecord};

/// Generates transactions with unique signatures, slot by slot.
pub struct Generator {
    /// Provider (account, authority) pairs, registered by [`Generator::providers`].
    pub providers: Vec<(Pubkey, Pubkey)>,
    slot: u64,
    serial: u64,
    tag: String,
}

impl Generator {
    /// A generator whose signatures start with `tag` (so several generators can write
    /// into one database without colliding).
    pub fn new(tag: &str) -> Self {
        Self {
            providers: Vec::new(),
            slot: 1,
            serial: 0,
            tag: tag.to_owned(),
        }
    }

    fn tx(&mut self, events: Vec<BasaltEvent>) -> TxRecord {
        self.serial += 1;
        self.slot += 1;
        TxRecord {
            signature: format!("{}-{:012}", self.tag, self.serial),
            slot: self.slot,
            block_time: Some(1_700_000_000 + i64::try_from(self.slot).unwrap_or(0) / 3),
            error: None,
            events: events
                .iter()
                .enumerate()
                .map(|(i, e)| (u32::try_from(i).unwrap_or(u32::MAX), EventRecord::of(e)))
                .collect(),
            undecoded: Vec::new(),
            truncated_logs: false,
        }
    }

    /// `n` providers registering and staking, one transaction each.
    pub fn providers(&mut self, n: usize) -> Vec<TxRecord> {
        (0..n)
            .map(|i| {
                let provider = Pubkey::new_unique();
                let authority = Pubkey::new_unique();
                self.providers.push((provider, authority));
                let slot = self.slot + 1;
                self.tx(vec![
                    BasaltEvent::ProviderRegistered(ProviderRegistered {
                        provider,
                        authority,
                        endpoint: format!("http://127.0.0.1:{}", 9000 + i),
                        region: ["eu", "us", "ap"][i % 3].into(),
                        roles: 1 + u8::from(i % 4 == 0) * 2,
                        capacity: 1 << 40,
                        slot,
                    }),
                    BasaltEvent::StakeAdded(StakeAdded {
                        provider,
                        amount: 2_000_000_000,
                        stake: 2_000_000_000,
                        slot,
                    }),
                ])
            })
            .collect()
    }

    /// One blob's life in three transactions: register + place 14 shards + activate +
    /// fund (17 events), a proof per shard (14), and a payout per shard (14).
    ///
    /// # Panics
    ///
    /// When no provider was generated first.
    pub fn blob(&mut self) -> Vec<TxRecord> {
        assert!(self.providers.len() >= 14, "generate 14 providers first");
        let blob = Pubkey::new_unique();
        let deal = Pubkey::new_unique();
        let owner = Pubkey::new_unique();
        let mut digest = [0u8; 32];
        digest[..8].copy_from_slice(&self.serial.to_le_bytes());
        digest[8..16].copy_from_slice(&blob.to_bytes()[..8]);
        let slot = self.slot + 1;
        let offset = usize::try_from(self.serial).unwrap_or(0);
        let holders: Vec<Pubkey> = (0..14)
            .map(|i| self.providers[(offset + i) % self.providers.len()].1)
            .collect();
        let mut register = vec![BasaltEvent::BlobRegistered(BlobRegistered {
            blob,
            owner,
            cid_digest: digest,
            size: 40 << 20,
            k: 10,
            m: 4,
            chunk_count: 10,
            commitment_root: [3; 32],
            expiry_epoch: 1_000,
            public: false,
            encrypted: true,
            slot,
        })];
        for (index, provider) in (0u16..).zip(&holders) {
            register.push(BasaltEvent::ShardPlaced(ShardPlaced {
                blob,
                index,
                provider: *provider,
                previous: None,
                assigned_epoch: 1,
                slot,
            }));
        }
        register.push(BasaltEvent::BlobActivated(BlobActivated { blob, slot }));
        register.push(BasaltEvent::DealFunded(DealFunded {
            deal,
            blob,
            payer: owner,
            price_per_shard_epoch: 10,
            amount: 14_000,
            balance: 14_000,
            slot,
        }));
        let register = self.tx(register);
        let proofs = (0u16..)
            .zip(&holders)
            .map(|(index, provider)| {
                BasaltEvent::ProofAccepted(ProofAccepted {
                    blob,
                    index,
                    provider: *provider,
                    epoch: 2,
                    chunk: 1,
                    leaf: 5,
                    slot: slot + 1,
                })
            })
            .collect();
        let proofs = self.tx(proofs);
        let mut balance = 14_000;
        let payouts = (0u16..)
            .zip(&holders)
            .map(|(index, provider)| {
                balance -= 10;
                BasaltEvent::DealSettled(DealSettled {
                    deal,
                    blob,
                    index,
                    provider: *provider,
                    epochs_paid: 1,
                    epochs_owed: 0,
                    amount: 10,
                    balance,
                    slot: slot + 2,
                })
            })
            .collect();
        let payouts = self.tx(payouts);
        vec![register, proofs, payouts]
    }
}

/// Events in `txs`.
pub fn event_count(txs: &[TxRecord]) -> usize {
    txs.iter().map(|t| t.events.len()).sum()
}
