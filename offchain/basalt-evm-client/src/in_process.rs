//! An in-process EVM (revm) for the contracts' tests and the shared scenarios: deploy,
//! call, and read what happened (return data, logs, custom errors, gas), with no node and
//! no network, as LiteSVM is for the Solana program. Block numbers and times are set by the
//! caller; the hash of a past block is revm's stand-in (`keccak256` of its number), which
//! the contracts read through BLOCKHASH like any other.

use alloy::primitives::{Address, Bytes, Log, U256};
use alloy::sol_types::{SolCall, SolConstructor, SolInterface};
use anyhow::{bail, Context as _, Result};
use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::handler::{MainnetContext, MainnetEvm};
use revm::primitives::TxKind;
use revm::{Context, DatabaseRef, ExecuteCommitEvm, MainBuilder, MainContext};

use crate::deploy::{Deployed, Network};
use crate::{
    BasaltBlobs, BasaltConfig, BasaltDatasets, BasaltJobs, BasaltProviders, BasaltTestToken,
};

/// Enough gas for any call of the tests; fees are zero (no base fee, no gas price).
const GAS_LIMIT: u64 = 30_000_000;
/// Unix time of block 0.
const GENESIS_TIME: u64 = 1_700_000_000;

pub struct Evm {
    evm: MainnetEvm<MainnetContext<CacheDB<EmptyDB>>>,
}

/// What a call did: its return data and logs, or the revert's data.
pub enum Outcome {
    Returned {
        output: Bytes,
        logs: Vec<Log>,
        gas_used: u64,
    },
    Reverted(Bytes),
}

impl Default for Evm {
    fn default() -> Self {
        Self::new()
    }
}

impl Evm {
    pub fn new() -> Self {
        let evm = Context::mainnet()
            .with_db(CacheDB::new(EmptyDB::default()))
            // Callers are test addresses that never count their transactions.
            .modify_cfg_chained(|cfg| cfg.disable_nonce_check = true)
            .build_mainnet();
        let mut evm = Self { evm };
        evm.set_block(0);
        evm
    }

    fn transact(&mut self, from: Address, to: TxKind, data: Bytes) -> Result<ExecutionResult> {
        let tx = TxEnv::builder()
            .caller(from)
            .kind(to)
            .data(data)
            .gas_limit(GAS_LIMIT)
            .value(U256::ZERO)
            .build_fill();
        self.evm
            .transact_commit(tx)
            .map_err(|e| anyhow::anyhow!("the EVM refused the transaction: {e:?}"))
    }

    /// Moves the chain to block `number` (epochs count blocks), one second per block.
    pub fn set_block(&mut self, number: u64) {
        self.evm.ctx.block.number = U256::from(number);
        self.evm.ctx.block.timestamp = U256::from(GENESIS_TIME + number);
    }

    /// The current block number.
    pub fn block(&self) -> u64 {
        self.evm.ctx.block.number.saturating_to()
    }

    /// The hash the BLOCKHASH opcode gives for block `number` (once it is among the newest
    /// 256): what a node reads as an epoch's challenge seed.
    ///
    /// # Errors
    ///
    /// Never for this in-memory database.
    pub fn block_hash(&self, number: u64) -> Result<[u8; 32]> {
        let hash = self
            .evm
            .ctx
            .journaled_state
            .database
            .block_hash_ref(number)
            .map_err(|e| anyhow::anyhow!("reading block hash {number}: {e:?}"))?;
        Ok(hash.0)
    }

    /// The current block's unix time.
    pub fn time(&self) -> u64 {
        self.evm.ctx.block.timestamp.saturating_to()
    }

    fn create(
        &mut self,
        from: Address,
        bytecode: &[u8],
        constructor: &[u8],
    ) -> Result<ExecutionResult> {
        let code: Vec<u8> = [bytecode, constructor].concat();
        self.transact(from, TxKind::Create, code.into())
    }

    /// Deploys `bytecode` followed by the encoded constructor arguments; returns the address.
    pub fn deploy(
        &mut self,
        from: Address,
        bytecode: &[u8],
        constructor: &[u8],
    ) -> Result<Address> {
        match self.create(from, bytecode, constructor)? {
            ExecutionResult::Success {
                output: Output::Create(_, Some(address)),
                ..
            } => Ok(address),
            other => bail!("deployment failed: {other:?}"),
        }
    }

    /// Deploys as [`Evm::deploy`] a contract whose constructor must revert; returns the revert data.
    pub fn deploy_reverts(
        &mut self,
        from: Address,
        bytecode: &[u8],
        constructor: &[u8],
    ) -> Result<Bytes> {
        match self.create(from, bytecode, constructor)? {
            ExecutionResult::Revert { output, .. } => Ok(output),
            other => bail!("the deployment did not revert: {other:?}"),
        }
    }

    /// Calls `call` on `to` as `from`.
    pub fn call<C: SolCall>(&mut self, from: Address, to: Address, call: &C) -> Result<Outcome> {
        Ok(
            match self.transact(from, TxKind::Call(to), call.abi_encode().into())? {
                ExecutionResult::Success {
                    output,
                    logs,
                    gas_used,
                    ..
                } => Outcome::Returned {
                    output: output.into_data(),
                    logs,
                    gas_used,
                },
                ExecutionResult::Revert { output, .. } => Outcome::Reverted(output),
                ExecutionResult::Halt { reason, .. } => bail!("the call halted: {reason:?}"),
            },
        )
    }

    /// Calls `call` and decodes its return value; a revert is an error.
    pub fn ok<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<(C::Return, Vec<Log>)> {
        match self.call(from, to, call)? {
            Outcome::Returned { output, logs, .. } => Ok((
                C::abi_decode_returns(&output).context("decoding the return value")?,
                logs,
            )),
            Outcome::Reverted(data) => {
                bail!("reverted: 0x{}", alloy::primitives::hex::encode(data))
            }
        }
    }

    /// Calls `call`, which must revert with one of the contract's errors `E`; returns it.
    pub fn reverts<C: SolCall, E: SolInterface>(
        &mut self,
        from: Address,
        to: Address,
        call: &C,
    ) -> Result<E> {
        match self.call(from, to, call)? {
            Outcome::Reverted(data) => {
                E::abi_decode(&data).context("decoding the revert as the contract's errors")
            }
            Outcome::Returned { .. } => bail!("the call succeeded"),
        }
    }
}

/// Deploys the six contracts into `evm` as `deployer` (the configuration's admin and the
/// token's faucet), without binding them: [`deploy`] binds them, a test may bind others.
///
/// # Errors
///
/// When a deployment fails (the configuration refuses `network`'s parameters, for one).
pub fn deploy_unbound(evm: &mut Evm, deployer: Address, network: &Network) -> Result<Deployed> {
    let token_args = BasaltTestToken::constructorCall {
        name_: "Basalt stake".into(),
        symbol_: "BSLT".into(),
    };
    let token = evm.deploy(
        deployer,
        &BasaltTestToken::BYTECODE,
        &token_args.abi_encode(),
    )?;
    let config_args = BasaltConfig::constructorCall {
        stakeToken_: token,
        epochBlocks_: network.epoch_blocks,
        proofWindowBlocks_: network.proof_window_blocks,
        treasury_: network.treasury,
        params_: network.params.clone(),
    };
    let config = evm.deploy(deployer, &BasaltConfig::BYTECODE, &config_args.abi_encode())?;
    let providers_args = BasaltProviders::constructorCall { config_: config };
    let providers = evm.deploy(
        deployer,
        &BasaltProviders::BYTECODE,
        &providers_args.abi_encode(),
    )?;
    let blobs_args = BasaltBlobs::constructorCall {
        config_: config,
        providers_: providers,
    };
    let blobs = evm.deploy(deployer, &BasaltBlobs::BYTECODE, &blobs_args.abi_encode())?;
    let datasets_args = BasaltDatasets::constructorCall {
        config_: config,
        blobs_: blobs,
    };
    let datasets = evm.deploy(
        deployer,
        &BasaltDatasets::BYTECODE,
        &datasets_args.abi_encode(),
    )?;
    let jobs_args = BasaltJobs::constructorCall {
        config_: config,
        providers_: providers,
        blobs_: blobs,
        datasets_: datasets,
    };
    let jobs = evm.deploy(deployer, &BasaltJobs::BYTECODE, &jobs_args.abi_encode())?;
    Ok(Deployed {
        token,
        config,
        providers,
        blobs,
        datasets,
        jobs,
    })
}

/// As [`crate::deploy::deploy`], in `evm`: the six contracts deployed and bound.
///
/// # Errors
///
/// As [`deploy_unbound`], and when the binding fails.
pub fn deploy(evm: &mut Evm, deployer: Address, network: &Network) -> Result<Deployed> {
    let deployed = deploy_unbound(evm, deployer, network)?;
    let bind = BasaltConfig::bindCall {
        providers_: deployed.providers,
        blobs_: deployed.blobs,
        jobs_: deployed.jobs,
    };
    evm.ok(deployer, deployed.config, &bind)?;
    Ok(deployed)
}
