use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::state::{Config, ConfigParams};
use crate::{Books, Contract, ContractExt};

#[near]
impl Contract {
    /// `config_update`: proposes new network parameters, which `config_apply` applies one
    /// epoch later (`basalt_rules::params_due_at`; a newer proposal replaces a pending one
    /// and restarts the wait), and optionally proposes another account for the admin role
    /// (`new_admin`; it takes the role when it calls `admin_accept`). The epoch geometry
    /// and the token are fixed at initialization.
    #[handle_result]
    pub fn config_update(
        &mut self,
        params: ConfigParams,
        new_admin: Option<AccountId>,
    ) -> Result<()> {
        ensure!(
            env::predecessor_account_id() == self.config.admin,
            BasaltError::NotAdmin
        );
        params.validate()?;
        let block = env::block_height();
        // The bytes of proposed parameters and of a proposed account are the contract's
        // own, like the rest of the configuration the admin sets.
        self.config.pending_params_at =
            basalt_rules::params_due_at(block, self.config.epoch_blocks);
        self.config.pending_params = Some(params);
        if new_admin.is_some() {
            self.config.pending_admin = new_admin;
        }
        self.config.updated(block).emit();
        Ok(())
    }

    /// `config_apply`: puts the parameters `config_update` proposed in force once their
    /// epoch of notice has passed (`basalt_rules::check_params_due`). Anyone may call it:
    /// the admin cannot hold back a change it announced, nor make one sooner.
    #[handle_result]
    pub fn config_apply(&mut self) -> Result<()> {
        let block = env::block_height();
        let params = self
            .config
            .pending_params
            .clone()
            .ok_or(BasaltError::NoPendingParams)?;
        basalt_rules::check_params_due(block, self.config.pending_params_at)?;
        self.config.apply(&params);
        self.config.pending_params = None;
        self.config.pending_params_at = 0;
        self.config.updated(block).emit();
        Ok(())
    }

    /// `admin_accept`: the account the admin proposed takes the admin role (the second of
    /// the two steps).
    #[handle_result]
    pub fn admin_accept(&mut self) -> Result<()> {
        let caller = env::predecessor_account_id();
        ensure!(
            self.config.pending_admin.as_ref() == Some(&caller),
            BasaltError::NotPendingAdmin
        );
        self.config.admin = caller;
        self.config.pending_admin = None;
        self.config.updated(env::block_height()).emit();
        Ok(())
    }

    pub fn config(&self) -> Config {
        self.config.clone()
    }

    /// The token books (stake, escrow, treasury, withdrawable).
    pub fn books(&self) -> Books {
        self.books.clone()
    }

    /// The current Basalt epoch.
    pub fn epoch(&self) -> u64 {
        self.current_epoch()
    }
}
