//! Every shared scenario against the Solidity contracts in an in-process EVM (revm): the
//! same scenarios `tests/solana.rs` and `tests/near.rs` run, with the gas each method used.
//! The scenarios that need datasets wait for that contract (`PENDING`):
//! each must stop at the driver's `NotOnEvm`, so the list cannot outlive the contracts.

use anyhow::{bail, Context, Result};
use basalt_scenarios::evm::{EvmChain, NotOnEvm};
use basalt_scenarios::scenarios::ALL;

/// Scenarios that use datasets (a job's output published as a version among them): not on
/// the EVM backend yet.
const PENDING: &[&str] = &[
    // Stores the output, then publishes it as a dataset version.
    "an_agreeing_worker_stores_the_output_for_the_requester",
    "dataset_versions_are_published_by_writers_on_real_parents",
    "an_agreeing_worker_publishes_the_output_as_the_asked_version",
];

#[test]
fn every_scenario_runs_on_the_evm_contracts() -> Result<()> {
    let mut gas = std::collections::BTreeMap::<String, Vec<u64>>::new();
    let mut ran = 0;
    for (name, scenario) in ALL {
        let mut chain = EvmChain::new()?;
        let outcome = scenario(&mut chain);
        if PENDING.contains(name) {
            match outcome {
                Err(e) if e.chain().any(|c| c.downcast_ref::<NotOnEvm>().is_some()) => continue,
                Err(e) => {
                    bail!("scenario {name} on the EVM failed before reaching datasets: {e:#}")
                }
                Ok(()) => bail!("scenario {name} ran on the EVM: take it off PENDING"),
            }
        }
        outcome.with_context(|| format!("scenario {name} on the EVM"))?;
        ran += 1;
        for (method, used) in chain.gas {
            gas.entry(method).or_default().extend(used);
        }
    }
    assert_eq!(ran, ALL.len() - PENDING.len());
    println!("gas used per successful call, over every scenario:");
    println!("{:<34} {:>6} {:>9} {:>9}", "method", "calls", "min", "max");
    for (method, used) in &gas {
        if let (Some(min), Some(max)) = (used.iter().min(), used.iter().max()) {
            println!("{method:<34} {:>6} {min:>9} {max:>9}", used.len());
        }
    }
    Ok(())
}
