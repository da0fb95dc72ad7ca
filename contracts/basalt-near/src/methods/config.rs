use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::{Config, ConfigParams};
use crate::{Books, Contract, ContractExt};

#[near]
impl Contract {
    /// `config_update`: changes the network parameters and optionally proposes another
    /// account for the admin role (`new_admin`; it takes the role when it calls
    /// `admin_accept`). The epoch geometry and the token are fixed at initialization.
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
        self.config.apply(&params);
        // The few bytes of a proposed account are the contract's own, like the rest of
        // the configuration the admin sets.
        if new_admin.is_some() {
            self.config.pending_admin = new_admin;
        }
        Event::ConfigUpdated {
            admin: self.config.admin.clone(),
            pending_admin: self.config.pending_admin.clone(),
            params,
            block: env::block_height(),
        }
        .emit();
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
        Event::ConfigUpdated {
            admin: self.config.admin.clone(),
            pending_admin: None,
            params: self.config.params(),
            block: env::block_height(),
        }
        .emit();
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
