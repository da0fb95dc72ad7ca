//! Every shared scenario against the NEAR contract's wasm in NEAR's runtime, with the gas
//! each method burnt. The wasm comes from `scripts/build-near.sh`; `scripts/test.sh` builds
//! it and passes its path in `BASALT_NEAR_WASM`.

use anyhow::{Context, Result};
use basalt_scenarios::near::NearChain;
use basalt_scenarios::scenarios::ALL;

fn wasm() -> Result<Vec<u8>> {
    let path = std::env::var("BASALT_NEAR_WASM").context(
        "BASALT_NEAR_WASM is not set: build the contract with scripts/build-near.sh \
         (scripts/test.sh does) and set it to the path that script prints",
    )?;
    std::fs::read(&path).with_context(|| format!("reading {path}"))
}

#[test]
fn every_scenario_runs_on_the_near_contract() -> Result<()> {
    let wasm = wasm()?;
    let mut gas = std::collections::BTreeMap::<String, Vec<u64>>::new();
    for (name, scenario) in ALL {
        let mut chain = NearChain::new(wasm.clone())?;
        scenario(&mut chain).with_context(|| format!("scenario {name} on NEAR"))?;
        for (method, burnt) in chain.vm.gas {
            gas.entry(method).or_default().extend(burnt);
        }
    }
    println!("gas burnt per successful call (TGas), over every scenario:");
    println!("{:<24} {:>6} {:>8} {:>8}", "method", "calls", "min", "max");
    for (method, burnt) in &gas {
        let tgas = |g: u64| g as f64 / 1e12;
        if let (Some(min), Some(max)) = (burnt.iter().min(), burnt.iter().max()) {
            println!(
                "{method:<24} {:>6} {:>8.3} {:>8.3}",
                burnt.len(),
                tgas(*min),
                tgas(*max)
            );
        }
    }
    Ok(())
}
