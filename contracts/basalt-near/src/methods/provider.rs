use near_sdk::json_types::U128;
use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::{validate_profile, Provider, ProviderStatus};
use crate::{add, sub, Contract, ContractExt};

#[near]
impl Contract {
    /// `provider_register`: registers the caller as a provider. It gets work only once it
    /// has staked the minimum (`ft_transfer_call` with `{"action":"stake"}`). Attach enough
    /// NEAR for the record's storage (about 0.005 NEAR); the rest stays in the caller's
    /// storage balance.
    #[payable]
    #[handle_result]
    pub fn provider_register(
        &mut self,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
    ) -> Result<()> {
        validate_profile(&endpoint, &region, roles)?;
        let authority = env::predecessor_account_id();
        ensure!(
            self.providers.get(&authority).is_none(),
            BasaltError::ProviderExists
        );
        let meter = self.meter()?;
        let block = env::block_height();
        self.providers.insert(
            &authority,
            &Provider {
                endpoint: endpoint.clone(),
                region: region.clone(),
                roles,
                capacity,
                stake: 0,
                unbonding_amount: 0,
                unbonding_until_epoch: 0,
                status: ProviderStatus::Active,
                jailed_until_epoch: 0,
                reputation: 0,
                last_heartbeat_block: block,
                registered_block: block,
                slash_epoch: 0,
                slashes_in_epoch: 0,
                open_obligations: 0,
            },
        );
        // The provider's withdrawable-token entry is created now, at its own expense, so
        // a later payout to it costs the crank that pays it nothing.
        if self.tokens.get(&authority).is_none() {
            self.tokens.insert(&authority, &0);
        }
        self.settle(meter)?;
        Event::ProviderRegistered {
            provider: authority,
            endpoint,
            region,
            roles,
            capacity,
            block,
        }
        .emit();
        Ok(())
    }

    /// `provider_update`: changes the caller's endpoint, region, roles or capacity.
    #[payable]
    #[handle_result]
    pub fn provider_update(
        &mut self,
        endpoint: String,
        region: String,
        roles: u8,
        capacity: u64,
    ) -> Result<()> {
        validate_profile(&endpoint, &region, roles)?;
        let authority = env::predecessor_account_id();
        let mut provider = self.provider(&authority)?;
        let meter = self.meter()?;
        provider.endpoint = endpoint.clone();
        provider.region = region.clone();
        provider.roles = roles;
        provider.capacity = capacity;
        self.providers.insert(&authority, &provider);
        self.settle(meter)?;
        Event::ProviderUpdated {
            provider: authority,
            endpoint,
            region,
            roles,
            capacity,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `provider_unstake`: starts unbonding `amount` of the caller's stake. It gets no new
    /// work until it withdraws, and the unbonding tokens stay slashable until then. While
    /// the caller carries open obligations, at least the minimum stake stays bonded.
    #[handle_result]
    pub fn provider_unstake(&mut self, amount: U128) -> Result<()> {
        let amount = amount.0;
        ensure!(amount > 0, BasaltError::ZeroAmount);
        let authority = env::predecessor_account_id();
        let mut provider = self.provider(&authority)?;
        let until = self
            .current_epoch()
            .checked_add(self.config.unbonding_epochs)
            .ok_or(BasaltError::Overflow)?;
        ensure!(amount <= provider.stake, BasaltError::InsufficientStake);
        provider.check_stake_kept(provider.stake - amount, &self.config)?;
        provider.stake -= amount;
        provider.unbonding_amount = add(provider.unbonding_amount, amount)?;
        // A later request restarts the clock for everything unbonding.
        provider.unbonding_until_epoch = until;
        if provider.status == ProviderStatus::Active {
            provider.status = ProviderStatus::Unbonding;
        }
        self.providers.insert(&authority, &provider);
        Event::UnstakeRequested {
            provider: authority,
            amount: U128(amount),
            stake: U128(provider.stake),
            unbonding_until_epoch: until,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `provider_withdraw`: moves everything that finished unbonding to the caller's
    /// withdrawable tokens (`token_withdraw` sends them); while the caller carries open
    /// obligations, only if its bonded stake is still at least the minimum.
    #[handle_result]
    pub fn provider_withdraw(&mut self) -> Result<U128> {
        let authority = env::predecessor_account_id();
        let mut provider = self.provider(&authority)?;
        let amount = provider.unbonding_amount;
        ensure!(amount > 0, BasaltError::NothingUnbonding);
        ensure!(
            self.current_epoch() >= provider.unbonding_until_epoch,
            BasaltError::StillUnbonding
        );
        // A provider slashed below the minimum while it carries obligations keeps its
        // unbonded tokens in the books, as the security those obligations still need.
        provider.check_stake_kept(provider.stake, &self.config)?;
        let meter = self.meter()?;
        self.books.stake = sub(self.books.stake, amount)?;
        self.credit_tokens(&authority, amount)?;
        provider.unbonding_amount = 0;
        if provider.status == ProviderStatus::Unbonding {
            provider.status = ProviderStatus::Active;
        }
        self.providers.insert(&authority, &provider);
        self.settle(meter)?;
        Event::StakeWithdrawn {
            provider: authority,
            amount: U128(amount),
            block: env::block_height(),
        }
        .emit();
        Ok(U128(amount))
    }

    /// `provider_deregister`: removes the caller's provider record, its storage back to it,
    /// once nothing is bonded or unbonding and no obligation is open
    /// (`basalt_rules::check_deregister`). Tokens it may still withdraw stay its own.
    #[handle_result]
    pub fn provider_deregister(&mut self) -> Result<()> {
        let authority = env::predecessor_account_id();
        let provider = self.provider(&authority)?;
        basalt_rules::check_deregister(
            provider.stake,
            provider.unbonding_amount,
            provider.open_obligations,
        )?;
        let mut meter = self.meter()?;
        self.release(&mut meter, &authority, |c| {
            c.providers.remove(&authority);
        })?;
        self.settle(meter)?;
        Event::ProviderDeregistered {
            provider: authority,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    /// `provider_heartbeat`: records that the caller's node is alive.
    #[handle_result]
    pub fn provider_heartbeat(&mut self) -> Result<()> {
        let authority = env::predecessor_account_id();
        let mut provider = self.provider(&authority)?;
        let block = env::block_height();
        provider.last_heartbeat_block = block;
        self.providers.insert(&authority, &provider);
        Event::ProviderHeartbeat {
            provider: authority,
            block,
        }
        .emit();
        Ok(())
    }

    /// `provider_unjail`: ends the caller's jail term once it has passed and its stake is
    /// back at the minimum.
    #[handle_result]
    pub fn provider_unjail(&mut self) -> Result<()> {
        let authority = env::predecessor_account_id();
        let mut provider = self.provider(&authority)?;
        ensure!(
            provider.status == ProviderStatus::Jailed,
            BasaltError::NotJailed
        );
        ensure!(
            self.current_epoch() > provider.jailed_until_epoch
                && provider.stake >= self.config.min_stake,
            BasaltError::CannotUnjail
        );
        provider.status = if provider.unbonding_amount > 0 {
            ProviderStatus::Unbonding
        } else {
            ProviderStatus::Active
        };
        self.providers.insert(&authority, &provider);
        Event::ProviderUnjailed {
            provider: authority,
            block: env::block_height(),
        }
        .emit();
        Ok(())
    }

    pub fn provider_get(&self, account_id: AccountId) -> Option<Provider> {
        self.providers.get(&account_id)
    }

    /// Registered providers in registration order (with removals swapped in), paged.
    pub fn providers_list(
        &self,
        from_index: Option<u64>,
        limit: Option<u64>,
    ) -> Vec<(AccountId, Provider)> {
        let from = from_index.unwrap_or(0);
        let limit = limit.unwrap_or(100).min(500);
        self.providers
            .iter()
            .skip(usize::try_from(from).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(500))
            .collect()
    }
}

impl Contract {
    /// `provider_stake`, reached through `ft_transfer_call` `{"action":"stake"}`: adds the
    /// tokens to `authority`'s stake. Returns the amount used (all of it).
    pub(crate) fn stake_tokens(&mut self, authority: &AccountId, amount: u128) -> Result<u128> {
        let mut provider = self.provider(authority)?;
        provider.stake = add(provider.stake, amount)?;
        self.books.stake = add(self.books.stake, amount)?;
        self.providers.insert(authority, &provider);
        Event::StakeAdded {
            provider: authority.clone(),
            amount: U128(amount),
            stake: U128(provider.stake),
            block: env::block_height(),
        }
        .emit();
        Ok(amount)
    }
}
