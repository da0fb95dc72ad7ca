//! The NEAR contract's wasm run in NEAR's own contract runtime (`near-vm-runner`, the crate
//! nearcore executes contracts with): the same wasm preparation and validation, gas
//! metering and host functions as a NEAR node, at the protocol version this crate ships.
//!
//! Around it, [`NearVm`] plays the parts of a chain that the runtime does not: it keeps the
//! contract's state between calls and throws a failed call's writes away (a node discards a
//! failed receipt's state changes), moves the block height and time, and records the gas
//! each method burnt.
//!
//! Limits (NEAR's `MockedExternal`): one contract account; promises the contract creates
//! (the `ft_transfer` of `token_withdraw`, NEAR refunds) are recorded, not executed; NEAR
//! balances are not accounted. The scenario driver stands in for the NEP-141 token
//! contract by calling `ft_on_transfer` as it would.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use near_parameters::vm::Config as VmConfig;
use near_parameters::{RuntimeConfigStore, RuntimeFeesConfig};
use near_primitives_core::types::{AccountId, Balance, Gas};
use near_primitives_core::version::PROTOCOL_VERSION;
use near_vm_runner::logic::errors::FunctionCallError;
use near_vm_runner::logic::mocks::mock_external::MockedExternal;
use near_vm_runner::logic::types::ReturnData;
use near_vm_runner::logic::{VMContext, VMOutcome};
use near_vm_runner::ContractCode;
use serde_json::Value;

/// Gas attached to every call: NEAR's maximum for one function call.
const PREPAID_TGAS: u64 = 300;

/// What a successful call returned.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// The method's JSON return value (`Null` for none).
    pub value: Value,
    /// Everything it logged, NEP-297 events included.
    pub logs: Vec<String>,
    pub burnt_gas: u64,
}

/// Why a call failed: the contract's own panic message (`"InsufficientStake: ..."`) or
/// another runtime error, with the gas it burnt.
#[derive(Debug, Clone)]
pub struct CallFailure {
    pub message: String,
    pub burnt_gas: u64,
}

impl std::fmt::Display for CallFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A NEAR contract account running one wasm; see the module docs.
pub struct NearVm {
    ext: MockedExternal,
    config: Arc<VmConfig>,
    fees: Arc<RuntimeFeesConfig>,
    contract: AccountId,
    /// Bytes of state the account holds (what storage staking is computed from).
    pub storage_usage: u64,
    pub block_height: u64,
    /// Unix time in nanoseconds of the current block.
    pub block_timestamp: u64,
    /// `env::random_seed()` of the next call.
    pub random_seed: [u8; 32],
    /// Gas burnt by every successful call, by method name.
    pub gas: BTreeMap<String, Vec<u64>>,
}

impl NearVm {
    /// Deploys `wasm` on account `contract` at block 1.
    ///
    /// # Errors
    ///
    /// When `contract` is not a valid account ID.
    pub fn new(wasm: Vec<u8>, contract: &str) -> Result<Self> {
        let store = RuntimeConfigStore::new(None);
        let runtime_config = store.get_config(PROTOCOL_VERSION);
        let mut config = VmConfig::clone(&runtime_config.wasm_config);
        // nearcore's default VM kind may not be compiled in; wasmtime is.
        config.vm_kind = config.vm_kind.replace_with_wasmtime_if_unsupported();
        Ok(Self {
            ext: MockedExternal::with_code(ContractCode::new(wasm, None)),
            config: Arc::new(config),
            fees: Arc::clone(&runtime_config.fees),
            contract: contract.parse().context("contract account id")?,
            // The account record itself, as on a fresh NEAR account.
            storage_usage: 182,
            block_height: 1,
            block_timestamp: 1_700_000_000_000_000_000,
            random_seed: [7; 32],
            gas: BTreeMap::new(),
        })
    }

    /// Calls `method` as `caller` with JSON `args` and `deposit` yoctoNEAR attached.
    /// A failed call leaves the state as it was.
    ///
    /// # Errors
    ///
    /// [`CallFailure`] (inside `anyhow`) when the contract panicked or the runtime refused
    /// the call; an error for an invalid caller ID or a non-JSON return value.
    pub fn call(
        &mut self,
        caller: &str,
        method: &str,
        args: &Value,
        deposit: u128,
    ) -> Result<std::result::Result<CallOutcome, CallFailure>> {
        let snapshot = self.ext.fake_trie.clone();
        let context = self.context(caller, args, deposit, false)?;
        let outcome = self.execute(&context, method)?;
        let burnt_gas = outcome.burnt_gas.as_gas();
        if let Some(error) = outcome.aborted {
            self.ext.fake_trie = snapshot;
            return Ok(Err(CallFailure {
                message: failure_message(&error),
                burnt_gas,
            }));
        }
        self.storage_usage = outcome.storage_usage;
        self.gas
            .entry(method.to_string())
            .or_default()
            .push(burnt_gas);
        Ok(Ok(CallOutcome {
            value: return_value(&outcome.return_data)?,
            logs: outcome.logs,
            burnt_gas,
        }))
    }

    /// Calls a view method; views cannot change state.
    ///
    /// # Errors
    ///
    /// When the view panics or returns something that is not JSON.
    pub fn view(&mut self, method: &str, args: &Value) -> Result<Value> {
        let context = self.context("viewer.near", args, 0, true)?;
        let outcome = self.execute(&context, method)?;
        if let Some(error) = outcome.aborted {
            return Err(anyhow!("view {method} failed: {}", failure_message(&error)));
        }
        return_value(&outcome.return_data)
    }

    /// Prepares (validates, instruments) and runs `method` in `context`.
    fn execute(&mut self, context: &VMContext, method: &str) -> Result<VMOutcome> {
        let gas_counter = context.make_gas_counter(&self.config);
        let prepared = near_vm_runner::prepare(
            &self.ext,
            Arc::clone(&self.config),
            None,
            gas_counter,
            method,
        );
        near_vm_runner::run(prepared, &mut self.ext, context, Arc::clone(&self.fees))
            .map_err(|e| anyhow!("the runtime failed (not the contract): {e:?}"))
    }

    fn context(&self, caller: &str, args: &Value, deposit: u128, view: bool) -> Result<VMContext> {
        let caller: AccountId = caller
            .parse()
            .with_context(|| format!("account id {caller}"))?;
        Ok(VMContext {
            current_account_id: self.contract.clone(),
            signer_account_id: caller.clone(),
            signer_account_pk: vec![0; 33],
            predecessor_account_id: caller.clone(),
            refund_to_account_id: caller,
            input: std::rc::Rc::from(serde_json::to_vec(args)?),
            promise_results: Vec::new().into(),
            block_height: self.block_height,
            block_timestamp: self.block_timestamp,
            epoch_height: 1,
            account_balance: Balance::from_near(100),
            account_locked_balance: Balance::ZERO,
            storage_usage: self.storage_usage,
            account_contract: near_primitives_core::account::AccountContract::None,
            attached_deposit: Balance::from_yoctonear(deposit),
            prepaid_gas: Gas::from_teragas(PREPAID_TGAS),
            random_seed: self.random_seed.to_vec(),
            view_config: view.then(|| near_primitives_core::config::ViewConfig {
                max_gas_burnt: self.config.limit_config.max_gas_burnt,
            }),
            output_data_receivers: vec![],
        })
    }
}

/// The contract's panic message, or the runtime's error for anything else.
fn failure_message(error: &FunctionCallError) -> String {
    let text = error.to_string();
    text.strip_prefix("Smart contract panicked: ")
        .map_or(text.clone(), str::to_string)
}

fn return_value(data: &ReturnData) -> Result<Value> {
    match data {
        ReturnData::Value(bytes) if !bytes.is_empty() => {
            serde_json::from_slice(bytes).context("the method's return value is not JSON")
        }
        _ => Ok(Value::Null),
    }
}
