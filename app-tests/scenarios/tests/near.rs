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

/// What only the wasm in the runtime can show: near-sdk's generated entry points refuse
/// deposits on non-payable methods and strangers on private ones, and a contract error
/// reaches the caller as its readable message.
#[test]
fn the_runtime_enforces_deposits_privacy_and_readable_errors() -> Result<()> {
    use serde_json::json;
    let mut chain = NearChain::new(wasm()?)?;
    let vm = &mut chain.vm;
    let failure = |out: std::result::Result<_, basalt_scenarios::near_vm::CallFailure>| {
        out.err().map(|f| f.message).unwrap_or_default()
    };

    let deposit = vm.call("p.near", "provider_heartbeat", &json!({}), 1)?;
    assert!(
        failure(deposit).contains("doesn't accept deposit"),
        "a non-payable method refuses NEAR"
    );
    let private = vm.call(
        "mallory.near",
        "on_tokens_withdrawn",
        &json!({"account": "mallory.near", "amount": "1000"}),
        0,
    )?;
    assert!(
        failure(private).contains("is private"),
        "callbacks are private"
    );
    let reinit = vm.call("mallory.near", "new", &json!({}), 0)?;
    assert!(!failure(reinit).is_empty(), "nobody initializes twice");

    let unregistered = vm.call("p.near", "provider_heartbeat", &json!({}), 0)?;
    assert_eq!(
        failure(unregistered),
        "ProviderNotFound: no provider is registered for this account"
    );
    let fake_token = vm.call(
        "fake-token.near",
        "ft_on_transfer",
        &json!({"sender_id": "p.near", "amount": "10", "msg": "{\"action\":\"stake\"}"}),
        0,
    )?;
    assert_eq!(
        failure(fake_token),
        "WrongToken: only the configured stake token is accepted"
    );
    let unknown = vm.call("p.near", "mint_free_tokens", &json!({}), 0)?;
    assert!(
        failure(unknown).contains("MethodNotFound"),
        "no such method"
    );
    let bad_json = vm.call("p.near", "provider_unstake", &json!({"amount": 5}), 0)?;
    assert!(
        !failure(bad_json).is_empty(),
        "malformed arguments are refused"
    );

    // A refused call leaves nothing behind: registering without a storage deposit fails,
    // and a later paid registration starts from a clean slate.
    let args = json!({"endpoint": "https://p", "region": "eu", "roles": 1, "capacity": 1});
    let unpaid = vm.call("p.near", "provider_register", &args, 0)?;
    assert!(failure(unpaid).starts_with("InsufficientStorageDeposit"));
    assert!(vm
        .view("provider_get", &json!({"account_id": "p.near"}))?
        .is_null());
    vm.call("p.near", "provider_register", &args, 10u128.pow(22))?
        .map_err(|f| anyhow::anyhow!("paid registration: {f}"))?;
    assert_eq!(
        vm.view("provider_get", &json!({"account_id": "p.near"}))?["status"],
        "Active"
    );
    Ok(())
}
