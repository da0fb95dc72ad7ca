use near_sdk::json_types::Base64VecU8;
use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use basalt_rules::{decide_read_before_gate, ReadDecision, ReadFacts};

use crate::state::{Digest, Grant, ReadAccess, ROLE_ADMIN, ROLE_READ};
use crate::{check_new_grant, unix_seconds, Contract, ContractExt};

#[near]
impl Contract {
    /// `grant_create`: gives `grantee` roles on a blob, with an optional expiry (unix
    /// seconds) and the data key wrapped for it. Called by the owner or an ADMIN grantee,
    /// who pays the grant's storage.
    #[payable]
    #[handle_result]
    pub fn grant_create(
        &mut self,
        blob_id: Digest,
        grantee: AccountId,
        roles: u8,
        expires_at: Option<u64>,
        wrapped_key: Base64VecU8,
    ) -> Result<()> {
        let caller = env::predecessor_account_id();
        let mut blob = self.blob(&blob_id)?;
        self.authorize(&blob, &caller, ROLE_ADMIN)?;
        check_new_grant(roles, &wrapped_key, expires_at)?;
        let key = (blob_id, grantee.clone());
        // Solana's `init` fails the same way on an existing grant account.
        ensure!(self.grants.get(&key).is_none(), BasaltError::GrantExists);
        blob.grant_count = blob
            .grant_count
            .checked_add(1)
            .ok_or(BasaltError::Overflow)?;
        let meter = self.meter()?;
        // The blob record keeps its size: only the grant's storage is paid.
        self.blobs.insert(&blob_id, &blob);
        self.grants.insert(
            &key,
            &Grant {
                roles,
                expires_at,
                wrapped_key,
                granted_by: caller.clone(),
            },
        );
        self.settle(meter)?;
        Event::GrantCreated {
            blob: blob_id,
            grantee,
            roles,
            expires_at,
            granted_by: caller,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `grant_revoke`: removes a grant. Called by the owner, an ADMIN grantee, or the
    /// grantee itself (renouncing); the storage goes back to whoever paid it. Works on a
    /// deleted blob's leftover grants too (then only the grantee or the grant's payer may
    /// remove it).
    #[handle_result]
    pub fn grant_revoke(&mut self, blob_id: Digest, grantee: AccountId) -> Result<()> {
        let caller = env::predecessor_account_id();
        let key = (blob_id, grantee.clone());
        let grant = self.grants.get(&key).ok_or(BasaltError::GrantNotFound)?;
        let blob = self.blobs.get(&blob_id);
        if grantee != caller {
            match &blob {
                Some(blob) => self.authorize(blob, &caller, ROLE_ADMIN)?,
                None => ensure!(grant.granted_by == caller, BasaltError::Unauthorized),
            }
        }
        if let Some(mut blob) = blob {
            // INV on Blob::grant_count: this grant was counted when it was created.
            blob.grant_count = blob.grant_count.saturating_sub(1);
            self.blobs.insert(&blob_id, &blob);
        }
        let mut meter = self.meter()?;
        self.release(&mut meter, &grant.granted_by, |c| {
            c.grants.remove(&key);
        })?;
        self.settle(meter)?;
        Event::GrantRevoked {
            blob: blob_id,
            grantee,
            revoked_by: caller,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    pub fn grant_get(&self, blob_id: Digest, grantee: AccountId) -> Option<Grant> {
        self.grants.get(&(blob_id, grantee))
    }

    /// How `account_id` may read the blob: rules 1 and 2 of `state::grant` decided here,
    /// rule 3 (the token gate) returned as [`ReadAccess::Gated`] for the caller to check
    /// with the token contract. This is the view a storage node asks before serving.
    pub fn read_access(&self, blob_id: Digest, account_id: AccountId) -> ReadAccess {
        let blob = self.blobs.get(&blob_id);
        let facts = match &blob {
            None => ReadFacts::default(),
            Some(blob) => ReadFacts {
                registered: true,
                placed: blob.is_placed(),
                expired: blob.expiry_epoch <= self.current_epoch(),
                owner: blob.owner == account_id,
                public: blob.public,
                read_grant: self
                    .grants
                    .get(&(blob_id, account_id))
                    .is_some_and(|g| g.roles & ROLE_READ != 0 && !g.is_expired(unix_seconds())),
            },
        };
        match decide_read_before_gate(&facts) {
            Some(ReadDecision::Owner) => ReadAccess::Owner,
            Some(ReadDecision::Public) => ReadAccess::Public,
            Some(ReadDecision::Grant) => ReadAccess::Grant,
            Some(ReadDecision::DenyUnregistered) => ReadAccess::DenyUnregistered,
            Some(ReadDecision::DenyInactive) => ReadAccess::DenyInactive,
            Some(ReadDecision::DenyExpired) => ReadAccess::DenyExpired,
            // The rules before the gate never answer these.
            Some(ReadDecision::TokenGate | ReadDecision::Deny) | None => {
                match blob.and_then(|b| b.token_gate) {
                    Some(gate) => ReadAccess::Gated(gate),
                    None => ReadAccess::Deny,
                }
            }
        }
    }

    /// Whether the contract alone admits `account_id` as a reader (a token-gated reader
    /// needs [`Self::read_access`] and the token contract).
    pub fn can_read(&self, blob_id: Digest, account_id: AccountId) -> bool {
        self.read_access(blob_id, account_id).allowed()
    }

    /// Whether `account_id` may act on the blob with every bit of `roles`: the check the
    /// contract's own methods apply (owner, or an unexpired grant holding them). `None`
    /// when the blob is not registered. A node asks it with `ROLE_DELETE` before dropping
    /// shards on request.
    pub fn may_act(&self, blob_id: Digest, account_id: AccountId, roles: u8) -> Option<bool> {
        let blob = self.blobs.get(&blob_id)?;
        Some(self.authorize(&blob, &account_id, roles).is_ok())
    }
}
