//! [`NearChain`]: the node's chain questions answered by the NEAR contract's views.
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
use basalt_near::state::{BlobState as ContractBlobState, Digest, ReadAccess, ROLE_DELETE};
use basalt_near_client::{implicit_account, AccountId, NearClient, NearError};
use serde_json::json;

use super::{BlobState, Chain, ChainError, DecisionCache, ReadDecision};

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
}
