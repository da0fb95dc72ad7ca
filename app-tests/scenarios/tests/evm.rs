//! Every shared scenario against the Solidity contracts in an in-process EVM (revm): the
//! same scenarios `tests/solana.rs` and `tests/near.rs` run, with the gas each method used.

use anyhow::{Context, Result};
use basalt_scenarios::evm::EvmChain;
use basalt_scenarios::scenarios::ALL;

#[test]
fn every_scenario_runs_on_the_evm_contracts() -> Result<()> {
    let mut gas = std::collections::BTreeMap::<String, Vec<u64>>::new();
    for (name, scenario) in ALL {
        let mut chain = EvmChain::new()?;
        scenario(&mut chain).with_context(|| format!("scenario {name} on the EVM"))?;
        for (method, used) in chain.gas {
            gas.entry(method).or_default().extend(used);
        }
    }
    println!("gas used per successful call, over every scenario:");
    println!("{:<34} {:>6} {:>9} {:>9}", "method", "calls", "min", "max");
    for (method, used) in &gas {
        if let (Some(min), Some(max)) = (used.iter().min(), used.iter().max()) {
            println!("{method:<34} {:>6} {min:>9} {max:>9}", used.len());
        }
    }
    Ok(())
}
