//! An event as the indexer stores it: its kind, its fields as JSON (addresses in base58,
//! hashes in hex, content IDs as CID text) and every address it names.
//!
//! The field names are the program's own (`programs/basalt/src/events.rs`); the derived
//! tables (`migrations/*_derived.sql`) read them by those names.

use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::decode::BasaltEvent;
use basalt::events::WorkerOutcome;
use basalt::state::{ConfigParams, JobStatus, TokenGate};
use basalt_core::Cid;
use serde_json::{json, Map, Value};

use crate::record::EventRecord;

/// A value of an event field, rendered for JSON and searched for addresses.
trait Field {
    fn json(&self) -> Value;
    fn collect_accounts(&self, _out: &mut Vec<String>) {}
}

impl Field for Pubkey {
    fn json(&self) -> Value {
        Value::String(self.to_string())
    }
    fn collect_accounts(&self, out: &mut Vec<String>) {
        let text = self.to_string();
        if !out.contains(&text) {
            out.push(text);
        }
    }
}

impl Field for [u8; 32] {
    fn json(&self) -> Value {
        Value::String(data_encoding::HEXLOWER.encode(self))
    }
}

macro_rules! plain_fields {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn json(&self) -> Value {
                json!(self)
            }
        }
    )*};
}
plain_fields!(u8, u16, u32, u64, i64, bool, String);

impl<T: Field> Field for Vec<T> {
    fn json(&self) -> Value {
        Value::Array(self.iter().map(Field::json).collect())
    }
    fn collect_accounts(&self, out: &mut Vec<String>) {
        for v in self {
            v.collect_accounts(out);
        }
    }
}

impl<T: Field> Field for Option<T> {
    fn json(&self) -> Value {
        self.as_ref().map_or(Value::Null, Field::json)
    }
    fn collect_accounts(&self, out: &mut Vec<String>) {
        if let Some(v) = self {
            v.collect_accounts(out);
        }
    }
}

impl Field for TokenGate {
    fn json(&self) -> Value {
        json!({ "mint": self.mint.json(), "min_balance": self.min_balance })
    }
    fn collect_accounts(&self, out: &mut Vec<String>) {
        self.mint.collect_accounts(out);
    }
}

impl Field for ConfigParams {
    fn json(&self) -> Value {
        json!({
            "min_stake": self.min_stake,
            "unbonding_epochs": self.unbonding_epochs,
            "proof_slash_bps": self.proof_slash_bps,
            "job_slash_bps": self.job_slash_bps,
            "bounty_bps": self.bounty_bps,
            "default_k": self.default_k,
            "default_m": self.default_m,
            "max_deal_epochs": self.max_deal_epochs,
            "max_slashes_per_epoch": self.max_slashes_per_epoch,
            "accept_window_ticks": self.accept_window_ticks,
            "offline_ticks": self.offline_ticks,
        })
    }
}

impl Field for JobStatus {
    fn json(&self) -> Value {
        Value::from(match self {
            JobStatus::Open => "open",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
        })
    }
}

impl Field for WorkerOutcome {
    fn json(&self) -> Value {
        Value::from(match self {
            WorkerOutcome::Paid => "paid",
            WorkerOutcome::Disagreed => "disagreed",
            WorkerOutcome::NoShow => "no_show",
            WorkerOutcome::NoQuorum => "no_quorum",
            WorkerOutcome::NotSelected => "not_selected",
        })
    }
}

/// Content-ID fields: the chain keeps the BLAKE3 digest; dApps know blobs by CID text.
struct CidField<'a>(&'a [u8; 32]);

impl Field for CidField<'_> {
    fn json(&self) -> Value {
        Value::String(Cid::from_digest(*self.0).to_string())
    }
}

/// Builds the record of each event variant from the list of its fields. The destructuring
/// has no `..`, so a field added to an event in the program fails to compile here until it
/// is listed (and a derived table can be told about it).
macro_rules! records {
    ($event:expr; $($kind:ident { $($field:ident $(as $wrap:ident)?),* $(,)? })*) => {
        match $event {
            $(BasaltEvent::$kind(e) => {
                let basalt::events::$kind { $($field),* } = e;
                let mut payload = Map::new();
                let mut accounts = Vec::new();
                $(
                    let value = records!(@wrap $field $($wrap)?);
                    payload.insert(stringify!($field).to_owned(), value.json());
                    value.collect_accounts(&mut accounts);
                )*
                (stringify!($kind), payload, accounts)
            })*
        }
    };
    (@wrap $field:ident) => { $field };
    (@wrap $field:ident CidField) => { CidField($field) };
}

impl EventRecord {
    /// The stored form of `event`.
    pub fn of(event: &BasaltEvent) -> Self {
        let (kind, mut payload, accounts) = records!(event;
            ConfigInitialized { admin, stake_mint, epoch_slots, proof_window_slots, params, slot }
            ConfigUpdated { admin, pending_admin, params, pending_params, pending_params_at, slot }
            ProviderRegistered { provider, authority, endpoint, region, roles, capacity, slot }
            ProviderUpdated { provider, endpoint, region, roles, capacity, slot }
            StakeAdded { provider, amount, stake, slot }
            UnstakeRequested { provider, amount, stake, unbonding_until_epoch, slot }
            StakeWithdrawn { provider, amount, slot }
            ProviderHeartbeat { provider, slot }
            ProviderDeregistered { provider, authority, slot }
            ProviderUnjailed { provider, slot }
            ProviderSlashed { provider, amount, bounty, beneficiary, subject, reputation, slot }
            BlobRegistered {
                blob, owner, cid_digest, size, k, m, chunk_count, commitment_root,
                expiry_epoch, public, encrypted, slot,
            }
            ShardPlaced { blob, index, provider, previous, assigned_epoch, slot }
            ShardAccepted { blob, index, provider, assigned_epoch, price_per_shard_epoch, slot }
            ShardReleased { blob, index, provider, slot }
            ShardEvicted { blob, index, provider, last_heartbeat_slot, charged, cranker, slot }
            BlobActivated { blob, slot }
            BlobAccessChanged { blob, public, token_gate, slot }
            BlobDeleted { blob, by, refunded, slot }
            GrantCreated { blob, grantee, roles, expires_at, granted_by, slot }
            GrantRevoked { blob, grantee, revoked_by, slot }
            DealFunded { deal, blob, payer, price_per_shard_epoch, amount, balance, slot }
            DealSettled {
                deal, blob, index, provider, epochs_paid, epochs_owed, amount, balance,
                slot,
            }
            DealRefunded { deal, blob, payer, amount, slot }
            ProofAccepted { blob, index, provider, epoch, chunk, leaf, slot }
            ProofMissed { blob, index, provider, epoch, cranker, slot }
            JobPosted {
                job, requester, nonce, module_cid as CidField, input_cid as CidField,
                fuel_limit, n, k, reward_per_worker, apply_deadline_slot,
                commit_deadline_slot, reveal_deadline_slot, output_budget,
                output_price_per_shard_epoch, output_deadline_slot, output_encrypted,
                input_version, publish_dataset, publish_tag, publish_budget, slot,
            }
            JobApplied { job, worker, stake, displaced, slot }
            JobSelected { job, seed, workers, slot }
            JobCommitted { job, worker, commitment, slot }
            JobRevealed { job, worker, result_hash, slot }
            JobFinalized { job, status, result_hash, agreeing, refunded, job_closed, slot }
            JobWorkerSettled {
                job, worker, outcome, paid, slashed, reputation, job_closed, output_refunded,
                slot,
            }
            JobOutputRegistered {
                job, blob, worker, cid_digest as CidField, budget, rent_refunded, slot,
            }
            DatasetCreated { dataset, owner, name, public, slot }
            DatasetAccessChanged { dataset, public, slot }
            DatasetGrantCreated { dataset, grantee, roles, expires_at, granted_by, slot }
            DatasetGrantRevoked { dataset, grantee, revoked_by, slot }
            VersionPublished {
                dataset, version, tag, seq, version_id as CidField, manifest_blob, parents,
                job, message, publisher, slot,
            }
            VersionRetracted { dataset, version, retracted_by, slot }
        );
        if let BasaltEvent::BlobRegistered(e) = event {
            payload.insert("cid".into(), CidField(&e.cid_digest).json());
        }
        Self {
            kind,
            payload: Value::Object(payload),
            accounts,
        }
    }
}

#[cfg(test)]
mod tests {
    use basalt::events::{BlobRegistered, JobWorkerSettled};

    use super::*;

    #[test]
    fn fields_render_by_their_program_names_and_addresses_are_collected() {
        let owner = Pubkey::new_unique();
        let blob = Pubkey::new_unique();
        let record = EventRecord::of(&BasaltEvent::BlobRegistered(BlobRegistered {
            blob,
            owner,
            cid_digest: [7; 32],
            size: u64::MAX,
            k: 10,
            m: 4,
            chunk_count: 3,
            commitment_root: [0xAB; 32],
            expiry_epoch: 9,
            public: false,
            encrypted: true,
            slot: 42,
        }));
        assert_eq!(record.kind, "BlobRegistered");
        assert_eq!(record.accounts, vec![blob.to_string(), owner.to_string()]);
        let p = &record.payload;
        assert_eq!(p["owner"], owner.to_string());
        // u64 survives exactly (JSON numbers are arbitrary precision in serde_json and jsonb).
        assert_eq!(p["size"].as_u64(), Some(u64::MAX));
        assert_eq!(p["commitment_root"], "ab".repeat(32));
        assert_eq!(p["cid"], Cid::from_digest([7; 32]).to_string());
        assert_eq!(p["encrypted"], true);
    }

    #[test]
    fn enums_render_as_the_names_the_derived_tables_check() {
        let worker = Pubkey::new_unique();
        let record = EventRecord::of(&BasaltEvent::JobWorkerSettled(JobWorkerSettled {
            job: Pubkey::new_unique(),
            worker,
            outcome: WorkerOutcome::NoShow,
            paid: 0,
            slashed: 0,
            reputation: -2,
            job_closed: false,
            output_refunded: 0,
            slot: 1,
        }));
        assert_eq!(record.payload["outcome"], "no_show");
        assert_eq!(record.payload["reputation"], -2);
        assert!(record.accounts.contains(&worker.to_string()));
    }
}
