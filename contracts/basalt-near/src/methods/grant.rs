use near_sdk::json_types::Base64VecU8;
use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::{Digest, Grant, MAX_WRAPPED_KEY_LEN, ROLE_ADMIN};
use crate::{unix_seconds, Contract, ContractExt};

#[near]
impl Contract {
    /// `grant_create`: gives `grantee` roles on a blob, with an optional expiry (unix
    /// seconds) and the data key wrapped for it. Called by the owner or an ADMIN grantee,
    /// who pays the grant's storage.
    #[payable]
    #[handle_result]
    pub fn grant_create(
        &mut self,
        cid_digest: Digest,
        grantee: AccountId,
        roles: u8,
        expires_at: Option<u64>,
        wrapped_key: Base64VecU8,
    ) -> Result<()> {
        let caller = env::predecessor_account_id();
        let blob = self.blob(&cid_digest)?;
        self.authorize(&blob, &caller, ROLE_ADMIN)?;
        ensure!(
            roles != 0 && roles & !ROLE_ADMIN == 0,
            BasaltError::InvalidGrantRoles
        );
        ensure!(
            wrapped_key.0.len() <= MAX_WRAPPED_KEY_LEN,
            BasaltError::WrappedKeyTooLong
        );
        if let Some(t) = expires_at {
            ensure!(t > unix_seconds(), BasaltError::InvalidGrantExpiry);
        }
        let key = (cid_digest, grantee.clone());
        // Solana's `init` fails the same way on an existing grant account.
        ensure!(self.grants.get(&key).is_none(), BasaltError::GrantExists);
        let meter = self.meter()?;
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
            blob: cid_digest,
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
    pub fn grant_revoke(&mut self, cid_digest: Digest, grantee: AccountId) -> Result<()> {
        let caller = env::predecessor_account_id();
        let key = (cid_digest, grantee.clone());
        let grant = self.grants.get(&key).ok_or(BasaltError::GrantNotFound)?;
        if grantee != caller {
            match self.blobs.get(&cid_digest) {
                Some(blob) => self.authorize(&blob, &caller, ROLE_ADMIN)?,
                None => ensure!(grant.granted_by == caller, BasaltError::Unauthorized),
            }
        }
        let mut meter = self.meter()?;
        self.release(&mut meter, &grant.granted_by, |c| {
            c.grants.remove(&key);
        })?;
        self.settle(meter)?;
        Event::GrantRevoked {
            blob: cid_digest,
            grantee,
            revoked_by: caller,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    pub fn grant_get(&self, cid_digest: Digest, grantee: AccountId) -> Option<Grant> {
        self.grants.get(&(cid_digest, grantee))
    }

    /// Whether `account_id` may read the blob by the rules in `state::grant` that the
    /// contract can check itself (owner, public, grant). A token gate needs the token
    /// contract's `ft_balance_of`, which the caller checks off chain.
    pub fn can_read(&self, cid_digest: Digest, account_id: AccountId) -> bool {
        let Some(blob) = self.blobs.get(&cid_digest) else {
            return false;
        };
        if !blob.active || blob.expiry_epoch <= self.current_epoch() {
            return false;
        }
        if blob.owner == account_id || blob.public {
            return true;
        }
        self.grants.get(&(cid_digest, account_id)).is_some_and(|g| {
            g.roles & crate::state::ROLE_READ != 0 && !g.is_expired(unix_seconds())
        })
    }
}
