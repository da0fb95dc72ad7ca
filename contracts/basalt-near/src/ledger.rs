//! Who pays for storage, and where tokens go.
//!
//! **Storage.** Every state-changing method credits its attached deposit to the caller's
//! storage balance, then charges the caller for the net bytes the call added, at
//! `env::storage_byte_cost()`. Deleting a record credits the bytes it freed to whoever paid
//! for it (the blob's `storage_payer`, the grant's `granted_by`, the deal's `payer`), as
//! Solana returns rent. A call that would spend more than the caller's balance fails with
//! `InsufficientStorageDeposit` and changes nothing. `storage_deposit`, `storage_withdraw`
//! and `storage_balance_of` follow NEP-145's names and shapes. The contract's own root
//! state (config, books, seed: a fixed few hundred bytes) is paid by the deployer.
//!
//! **Tokens.** The stake token is a NEP-141 contract. Tokens come in only through
//! `ft_on_transfer` (the token contract calling back after a user's `ft_transfer_call`),
//! with a [`TransferAction`] as the message; any error there panics, and the token contract
//! then returns the whole amount to the sender. Tokens go out by crediting the recipient's
//! withdrawable balance (`tokens`); `token_withdraw` sends it with `ft_transfer` and puts it
//! back if that transfer fails (for example when the recipient is not registered with the
//! token), so no payout is ever lost in flight.

use near_sdk::json_types::U128;
use near_sdk::{env, near, AccountId, Gas, NearToken, Promise, PromiseError, PromiseOrValue};

use crate::errors::{ensure, BasaltError};
use crate::events::Event;
use crate::methods::JobPostArgs;
use crate::state::Digest;
use crate::{add, sub, Contract, ContractExt};

/// Gas for the token contract's `ft_transfer` and for our callback after it.
const GAS_FT_TRANSFER: Gas = Gas::from_tgas(10);
const GAS_WITHDRAW_CALLBACK: Gas = Gas::from_tgas(10);

/// What an `ft_transfer_call` of the stake token asks the contract to do with the tokens
/// (its `msg`, as JSON: `{"action":"stake"}`, `{"action":"deal_fund","blob_id":...}`).
#[near(serializers = [json])]
#[serde(tag = "action", rename_all = "snake_case")]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransferAction {
    /// Adds the whole amount to the sender's provider stake.
    Stake,
    /// Opens the blob's deal with the whole amount as escrow.
    DealFund {
        blob_id: Digest,
        price_per_shard_epoch: U128,
    },
    /// Adds the whole amount to an existing deal's escrow.
    DealTopUp { blob_id: Digest },
    /// Posts a job; `n * reward_per_worker` is taken and any excess returned. Boxed: the
    /// job's arguments are most of the enum's size.
    JobPost(Box<JobPostArgs>),
}

/// A storage meter: see [`Contract::meter`].
pub(crate) struct Meter {
    payer: AccountId,
    /// Storage usage when the call started.
    start: u64,
    /// Net bytes changed by [`Contract::release`], already settled with their payers.
    released: i128,
}

/// A NEP-145 storage balance.
#[near(serializers = [json])]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageBalance {
    pub total: U128,
    pub available: U128,
}

#[near]
impl Contract {
    /// NEP-141 receiver: runs `msg` (a [`TransferAction`]) with `amount` tokens from
    /// `sender_id`, and returns the unused amount for the token contract to refund.
    #[handle_result]
    pub fn ft_on_transfer(
        &mut self,
        sender_id: AccountId,
        amount: U128,
        msg: String,
    ) -> Result<PromiseOrValue<U128>, BasaltError> {
        ensure!(
            env::predecessor_account_id() == self.config.stake_token,
            BasaltError::WrongToken
        );
        ensure!(amount.0 > 0, BasaltError::ZeroAmount);
        let action: TransferAction = near_sdk::serde_json::from_str(&msg)
            .map_err(|_| BasaltError::InvalidTransferMessage)?;
        let meter = self.meter_for(sender_id.clone());
        let used = match action {
            TransferAction::Stake => self.stake_tokens(&sender_id, amount.0)?,
            TransferAction::DealFund {
                blob_id,
                price_per_shard_epoch,
            } => self.deal_fund_tokens(&sender_id, blob_id, price_per_shard_epoch.0, amount.0)?,
            TransferAction::DealTopUp { blob_id } => {
                self.deal_top_up_tokens(&sender_id, blob_id, amount.0)?
            }
            TransferAction::JobPost(args) => self.job_post_tokens(&sender_id, *args, amount.0)?,
        };
        self.settle(meter)?;
        Ok(PromiseOrValue::Value(U128(amount.0 - used)))
    }

    /// Sends `amount` (default: everything) of the caller's withdrawable tokens to it with
    /// `ft_transfer`. Requires exactly 1 yoctoNEAR, as NEP-141 transfers do.
    #[payable]
    #[handle_result]
    pub fn token_withdraw(&mut self, amount: Option<U128>) -> Result<Promise, BasaltError> {
        ensure!(
            env::attached_deposit() == NearToken::from_yoctonear(1),
            BasaltError::OneYoctoRequired
        );
        let account = env::predecessor_account_id();
        let held = self.tokens.get(&account).unwrap_or(0);
        let amount = amount.map_or(held, |a| a.0);
        ensure!(amount > 0, BasaltError::ZeroAmount);
        ensure!(amount <= held, BasaltError::InsufficientTokens);
        self.tokens.insert(&account, &(held - amount));
        self.books.withdrawable = sub(self.books.withdrawable, amount)?;
        let transfer = Promise::new(self.config.stake_token.clone()).function_call(
            "ft_transfer".to_string(),
            near_sdk::serde_json::json!({
                "receiver_id": account,
                "amount": U128(amount),
                "memo": "basalt withdrawal",
            })
            .to_string()
            .into_bytes(),
            NearToken::from_yoctonear(1),
            GAS_FT_TRANSFER,
        );
        Ok(transfer.then(
            Self::ext(env::current_account_id())
                .with_static_gas(GAS_WITHDRAW_CALLBACK)
                .on_tokens_withdrawn(account, U128(amount)),
        ))
    }

    /// After `token_withdraw`'s `ft_transfer`: on success logs the withdrawal; on failure
    /// credits the tokens back, so they can be withdrawn again.
    #[private]
    pub fn on_tokens_withdrawn(
        &mut self,
        account: AccountId,
        amount: U128,
        // `Result` here is std's: the macro matches the name `Result<T, PromiseError>`.
        #[callback_result] result: Result<(), PromiseError>,
    ) -> bool {
        if result.is_ok() {
            Event::TokensWithdrawn {
                account,
                amount,
                block: env::block_height(),
            }
            .emit();
            return true;
        }
        // The entry still exists (withdrawal only lowered it), so this adds no storage.
        let held = self.tokens.get(&account).unwrap_or(0);
        self.tokens.insert(&account, &held.saturating_add(amount.0));
        self.books.withdrawable = self.books.withdrawable.saturating_add(amount.0);
        false
    }

    /// Stake tokens `account` may withdraw.
    pub fn tokens_of(&self, account_id: AccountId) -> U128 {
        U128(self.tokens.get(&account_id).unwrap_or(0))
    }

    /// NEP-145: adds the attached deposit to the storage balance of `account_id` (default:
    /// the caller).
    #[payable]
    #[handle_result]
    pub fn storage_deposit(
        &mut self,
        account_id: Option<AccountId>,
    ) -> Result<StorageBalance, BasaltError> {
        let account = account_id.unwrap_or_else(env::predecessor_account_id);
        let meter = self.meter_for(account.clone());
        self.credit_storage(&account, env::attached_deposit().as_yoctonear())?;
        self.settle(meter)?;
        Ok(self.storage_balance(&account))
    }

    /// NEP-145: returns `amount` (default: all) of the caller's unspent storage balance.
    /// Requires exactly 1 yoctoNEAR.
    #[payable]
    #[handle_result]
    pub fn storage_withdraw(
        &mut self,
        amount: Option<U128>,
    ) -> Result<StorageBalance, BasaltError> {
        ensure!(
            env::attached_deposit() == NearToken::from_yoctonear(1),
            BasaltError::OneYoctoRequired
        );
        let account = env::predecessor_account_id();
        let available = self.storage_balances.get(&account).unwrap_or(0);
        let amount = amount.map_or(available, |a| a.0);
        ensure!(amount <= available, BasaltError::InsufficientStorageDeposit);
        if amount > 0 {
            self.storage_balances
                .insert(&account, &(available - amount));
            Promise::new(account.clone())
                .transfer(NearToken::from_yoctonear(amount))
                .detach();
        }
        Ok(self.storage_balance(&account))
    }

    /// NEP-145: the caller's unspent storage balance (`total` = `available`: storage
    /// already used is paid for and not tracked per account).
    pub fn storage_balance_of(&self, account_id: AccountId) -> Option<StorageBalance> {
        self.storage_balances
            .get(&account_id)
            .map(|_| self.storage_balance(&account_id))
    }
}

impl Contract {
    fn storage_balance(&self, account: &AccountId) -> StorageBalance {
        let available = U128(self.storage_balances.get(account).unwrap_or(0));
        StorageBalance {
            total: available,
            available,
        }
    }

    /// Starts metering a state-changing call paid by its caller: credits the attached
    /// deposit to the caller's storage balance (creating that entry is metered too).
    /// Every state-changing method starts with this and ends with [`Self::settle`].
    pub(crate) fn meter(&mut self) -> Result<Meter, BasaltError> {
        let payer = env::predecessor_account_id();
        let meter = self.meter_for(payer.clone());
        let deposit = env::attached_deposit().as_yoctonear();
        if deposit > 0 {
            self.credit_storage(&payer, deposit)?;
        }
        Ok(meter)
    }

    /// Starts metering a call whose storage `payer` pays (no attached deposit).
    pub(crate) fn meter_for(&self, payer: AccountId) -> Meter {
        Meter {
            payer,
            start: env::storage_usage(),
            released: 0,
        }
    }

    /// Ends a metered call: charges the payer for the net bytes it added, or credits it for
    /// the net bytes it freed (not counting what [`Self::release`] already credited).
    ///
    /// # Errors
    ///
    /// [`BasaltError::InsufficientStorageDeposit`] when the payer's balance does not cover
    /// the bytes added.
    pub(crate) fn settle(&mut self, meter: Meter) -> Result<(), BasaltError> {
        let net = i128::from(env::storage_usage()) - i128::from(meter.start) - meter.released;
        let byte_cost = env::storage_byte_cost().as_yoctonear();
        match net.cmp(&0) {
            std::cmp::Ordering::Equal => Ok(()),
            std::cmp::Ordering::Greater => {
                let cost = net.unsigned_abs() * byte_cost;
                let held = self.storage_balances.get(&meter.payer).unwrap_or(0);
                ensure!(held >= cost, BasaltError::InsufficientStorageDeposit);
                // The entry exists (held > 0), so rewriting it adds no bytes.
                self.storage_balances.insert(&meter.payer, &(held - cost));
                Ok(())
            }
            std::cmp::Ordering::Less => {
                self.refund_storage(&meter.payer, net.unsigned_abs() * byte_cost)
            }
        }
    }

    /// Removes a record with `remove` and credits the bytes it frees to `payer` (who paid
    /// for the record), outside `meter`'s account.
    pub(crate) fn release(
        &mut self,
        meter: &mut Meter,
        payer: &AccountId,
        remove: impl FnOnce(&mut Self),
    ) -> Result<(), BasaltError> {
        let before = env::storage_usage();
        remove(self);
        let freed = u128::from(before.saturating_sub(env::storage_usage()))
            * env::storage_byte_cost().as_yoctonear();
        if freed > 0 {
            self.refund_storage(payer, freed)?;
        }
        meter.released += i128::from(env::storage_usage()) - i128::from(before);
        Ok(())
    }

    /// Removes a record with `remove` whose bytes several accounts paid for: each of
    /// `shares` (account, bytes it paid) gets its bytes back, as far as the record freed
    /// them, and `rest_payer` gets the remainder. Outside `meter`'s account, like
    /// [`Self::release`].
    pub(crate) fn release_shared(
        &mut self,
        meter: &mut Meter,
        shares: &[(AccountId, u64)],
        rest_payer: &AccountId,
        remove: impl FnOnce(&mut Self),
    ) -> Result<(), BasaltError> {
        let before = env::storage_usage();
        remove(self);
        let after = env::storage_usage();
        let byte_cost = env::storage_byte_cost().as_yoctonear();
        let mut freed = before.saturating_sub(after);
        for (account, bytes) in shares {
            let bytes = (*bytes).min(freed);
            freed -= bytes;
            if bytes > 0 {
                self.refund_storage(account, u128::from(bytes) * byte_cost)?;
            }
        }
        if freed > 0 {
            self.refund_storage(rest_payer, u128::from(freed) * byte_cost)?;
        }
        // Storage entries the refunds created are paid out of the refunds themselves.
        meter.released += i128::from(env::storage_usage()) - i128::from(before);
        Ok(())
    }

    fn credit_storage(&mut self, account: &AccountId, amount: u128) -> Result<(), BasaltError> {
        let held = self.storage_balances.get(account).unwrap_or(0);
        self.storage_balances.insert(account, &add(held, amount)?);
        Ok(())
    }

    /// Credits `amount` of freed storage to `payer`. If `payer` has no storage entry any
    /// more, creating one costs bytes too; they are taken from the credit, and a credit too
    /// small to pay for its own entry stays with the contract.
    fn refund_storage(&mut self, payer: &AccountId, amount: u128) -> Result<(), BasaltError> {
        if let Some(held) = self.storage_balances.get(payer) {
            self.storage_balances.insert(payer, &add(held, amount)?);
            return Ok(());
        }
        let before = env::storage_usage();
        self.storage_balances.insert(payer, &amount);
        let entry_cost =
            u128::from(env::storage_usage() - before) * env::storage_byte_cost().as_yoctonear();
        if amount > entry_cost {
            self.storage_balances.insert(payer, &(amount - entry_cost));
        } else {
            self.storage_balances.remove(payer);
        }
        Ok(())
    }

    /// Credits `amount` of stake tokens to `account`'s withdrawable balance.
    pub(crate) fn credit_tokens(
        &mut self,
        account: &AccountId,
        amount: u128,
    ) -> Result<(), BasaltError> {
        if amount == 0 {
            return Ok(());
        }
        let held = self.tokens.get(account).unwrap_or(0);
        self.tokens.insert(account, &add(held, amount)?);
        self.books.withdrawable = add(self.books.withdrawable, amount)?;
        Ok(())
    }
}
