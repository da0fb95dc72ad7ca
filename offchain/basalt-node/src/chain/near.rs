//! [`NearChain`]: the node's chain questions answered by the NEAR contract's views, and its
//! acceptances sent as `shard_accept` calls from the node key's implicit account.
//!
//! The contract decides with its own code (`read_access`, `may_act`, `blob_state` in
//! `contracts/basalt-near`), so the rules cannot drift from what its methods enforce. The
//! one rule a view cannot apply is the token gate (it would need a call to the token
//! contract): `read_access` hands it back as `gated`, and the node asks the token's
//! `ft_balance_of` at the same block the answer came from.
//!
//! Requests to a node are signed by a bare ed25519 key, so the requester is the key's NEAR
//! implicit account (the key in hex). A named account (`alice.near`) reads through a grant
//! to its implicit account, or by owning the blob from it.

use std::time::Duration;

use async_trait::async_trait;
use basalt_core::Cid;
use basalt_near::state::{
    Blob, BlobState as ContractBlobState, Deal, Digest, ReadAccess, ROLE_DELETE,
};
use basalt_near_client::{
    implicit_account, AccountId, FunctionCall, InMemorySigner, NearClient, NearError, SecretKey,
};
use ed25519_dalek::SigningKey;
use serde_json::json;

use super::{
    holds_any, placement_of, BlobState, BlobTerms, Chain, ChainError, DecisionCache, Placement,
    ReadDecision, SlotView, Terms,
};

/// [`Chain`] over NEAR JSON-RPC, reading final blocks.
pub struct NearChain {
    client: NearClient,
    reads: DecisionCache,
}

impl NearChain {
    /// A client for the RPC endpoint `url` and the Basalt contract at `contract`, caching
    /// read decisions for `ttl`.
    pub fn new(url: &str, contract: AccountId, ttl: Duration) -> Self {
        Self {
            client: NearClient::new(url, contract),
            reads: DecisionCache::new(ttl),
        }
    }

    fn error(&self, error: NearError) -> ChainError {
        ChainError {
            url: self.client.url().to_owned(),
            why: error.to_string(),
        }
    }

    /// The contract's answer, completed with the gate token's balance when it is gated.
    async fn decide_read(
        &self,
        blob: &Cid,
        requester: &[u8; 32],
    ) -> Result<ReadDecision, ChainError> {
        let account = implicit_account(requester);
        let args = json!({ "cid_digest": digest(blob), "account_id": account });
        let (access, at) = self
            .client
            .view::<_, ReadAccess>("read_access", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        Ok(match access {
            ReadAccess::Owner => ReadDecision::Owner,
            ReadAccess::Public => ReadDecision::Public,
            ReadAccess::Grant => ReadDecision::Grant,
            ReadAccess::DenyUnregistered => ReadDecision::DenyUnregistered,
            ReadAccess::DenyInactive => ReadDecision::DenyInactive,
            ReadAccess::DenyExpired => ReadDecision::DenyExpired,
            ReadAccess::Deny => ReadDecision::Deny,
            ReadAccess::Gated(gate) => {
                let balance = self
                    .client
                    .ft_balance_of(&gate.token, &account, Some(at))
                    .await
                    .map_err(|e| self.error(e))?;
                if balance >= gate.min_balance {
                    ReadDecision::TokenGate
                } else {
                    ReadDecision::Deny
                }
            }
        })
    }
}

fn digest(blob: &Cid) -> Digest {
    Digest::from(*blob.digest())
}

#[async_trait]
impl Chain for NearChain {
    async fn read_access(
        &self,
        blob: &Cid,
        requester: &[u8; 32],
    ) -> Result<ReadDecision, ChainError> {
        self.reads
            .get_or_decide(blob, requester, self.decide_read(blob, requester))
            .await
    }

    async fn may_delete(
        &self,
        blob: &Cid,
        requester: &[u8; 32],
    ) -> Result<Option<bool>, ChainError> {
        // Never cached: deletion is rare and must see a revocation at once.
        let args = json!({
            "cid_digest": digest(blob),
            "account_id": implicit_account(requester),
            "roles": ROLE_DELETE,
        });
        let (allowed, _) = self
            .client
            .view::<_, Option<bool>>("may_act", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        Ok(allowed)
    }

    async fn blob_state(&self, blob: &Cid) -> Result<BlobState, ChainError> {
        let args = json!({ "cid_digest": digest(blob) });
        let (state, _) = self
            .client
            .view::<_, ContractBlobState>("blob_state", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        Ok(match state {
            ContractBlobState::Unregistered => BlobState::Unregistered,
            ContractBlobState::Live => BlobState::Live,
            ContractBlobState::Expired => BlobState::Expired,
        })
    }

    async fn holds(&self, blob: &Cid, holder: &[u8; 32]) -> Result<bool, ChainError> {
        let args = json!({ "cid_digest": digest(blob) });
        let (record, at) = self
            .client
            .view::<_, Option<Blob>>("blob_get", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        let holder = implicit_account(holder);
        Ok(record.is_some_and(|record| {
            let slots = record.shards.iter().map(|s| SlotView {
                names_holder: s.provider.as_ref() == Some(&holder),
                acceptance: s.acceptance(),
                column_root: s.column_root.into(),
            });
            holds_any(slots, at.height)
        }))
    }

    async fn placement(&self, blob: &Cid, holder: &[u8; 32]) -> Result<Placement, ChainError> {
        let args = json!({ "cid_digest": digest(blob) });
        let (record, at) = self
            .client
            .view::<_, Option<Blob>>("blob_get", &args, None)
            .await
            .map_err(|e| self.error(e))?;
        let Some(record) = record else {
            return Ok(Placement::Unregistered);
        };
        // The epoch at the block the record was read at, so the two agree.
        let (epoch, _) = self
            .client
            .view::<_, u64>("epoch", &json!({}), Some(at))
            .await
            .map_err(|e| self.error(e))?;
        let (deal, _) = self
            .client
            .view::<_, Option<Deal>>("deal_get", &args, Some(at))
            .await
            .map_err(|e| self.error(e))?;
        let holder = implicit_account(holder);
        let slots = record.shards.iter().map(|s| SlotView {
            names_holder: s.provider.as_ref() == Some(&holder),
            acceptance: s.acceptance(),
            column_root: s.column_root.into(),
        });
        let terms = BlobTerms {
            size: record.size,
            price_per_shard_epoch: deal.map(|d| d.price_per_shard_epoch),
            expiry_epoch: record.expiry_epoch,
        };
        Ok(placement_of(slots, at.height, epoch, &terms))
    }

    async fn accept(
        &self,
        blob: &Cid,
        index: u16,
        terms: &Terms,
        identity: &SigningKey,
    ) -> Result<(), ChainError> {
        let account = implicit_account(&identity.verifying_key().to_bytes());
        // NEAR writes an ed25519 secret key as the 64 bytes seed ‖ public key, in base58.
        let secret: SecretKey = format!(
            "ed25519:{}",
            bs58::encode(identity.to_keypair_bytes()).into_string()
        )
        .parse()
        .map_err(|e| {
            self.error(NearError::Decode {
                method: "node identity".into(),
                why: format!("{e}"),
            })
        })?;
        let signer = InMemorySigner::from_secret_key(account, secret);
        let call = FunctionCall::new(
            "shard_accept",
            &json!({
                "cid_digest": digest(blob),
                "index": index,
                "column_root": Digest::from(terms.column_root),
                "expiry_epoch": terms.expiry_epoch,
                "price_per_shard_epoch": terms.price_per_shard_epoch.to_string(),
            }),
        )
        .map_err(|e| {
            self.error(NearError::Decode {
                method: "shard_accept".into(),
                why: e.to_string(),
            })
        })?;
        self.client
            .call(&signer, call)
            .await
            .map(drop)
            .map_err(|e| self.error(e))
    }
}
