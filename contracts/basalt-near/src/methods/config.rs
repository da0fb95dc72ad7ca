use near_sdk::{env, near, AccountId};

use crate::errors::{ensure, BasaltError, Result};
use crate::events::Event;
use crate::state::{Config, ConfigParams};
use crate::{Books, Contract, ContractExt};

#[near]
impl Contract {
    /// `config_update`: changes the network parameters and optionally hands the admin role
    /// to another account. The epoch geometry and the token are fixed at initialization.
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
        if let Some(admin) = new_admin {
            self.config.admin = admin;
        }
        Event::ConfigUpdated {
            admin: self.config.admin.clone(),
            params,
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
