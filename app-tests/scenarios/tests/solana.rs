//! Every shared scenario against the Solana program, natively hosted in
//! solana-program-test: the same scenarios `tests/near.rs` runs on the NEAR contract.

use anyhow::{Context, Result};
use basalt_scenarios::scenarios::ALL;
use basalt_scenarios::solana::SolanaChain;

#[test]
fn every_scenario_runs_on_the_solana_program() -> Result<()> {
    for (name, scenario) in ALL {
        let mut chain = SolanaChain::new()?;
        scenario(&mut chain).with_context(|| format!("scenario {name} on Solana"))?;
    }
    Ok(())
}
