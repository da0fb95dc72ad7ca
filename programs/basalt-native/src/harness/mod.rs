//! A Basalt network in solana-program-test: the program hosted natively next to the bundled
//! SPL Token program, a stake mint, an initialized Config, and helpers that sign and send
//! real transactions. Used by this crate's tests and by the cross-chain scenarios
//! (`basalt-scenarios`); it panics when a successful instruction did not emit its events.

use crate::program_test;
use anyhow::{anyhow, Result};
use basalt::anchor_lang::prelude::Pubkey;
use basalt::anchor_lang::solana_program::instruction::Instruction;
use basalt::anchor_lang::AccountDeserialize;
use basalt::client::decode::BasaltEvent;
use basalt::client::ix;
use basalt::errors::BasaltError;
use basalt::state::ConfigParams;
use solana_instruction_error::InstructionError;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_program_test::{BanksClientError, ProgramTestContext};
use solana_signer::Signer;
use solana_transaction::Transaction;

use anchor_spl::token::spl_token;

pub mod events;

pub const EPOCH_SLOTS: u64 = 100;
pub const PROOF_WINDOW: u64 = 40;
pub const MIN_STAKE: u64 = 1_000;
/// Slots a holder has to accept a placement: half an epoch more than one.
pub const ACCEPT_WINDOW: u64 = 150;
/// Slots a provider may go without a heartbeat before its shards may be evicted.
pub const OFFLINE_TICKS: u64 = 150;

pub fn params() -> ConfigParams {
    ConfigParams {
        min_stake: MIN_STAKE,
        unbonding_epochs: 2,
        proof_slash_bps: 1_000, // 10 %
        job_slash_bps: 500,     // 5 %
        bounty_bps: 2_000,      // 20 % of the slashed amount
        default_k: 10,
        default_m: 4,
        max_deal_epochs: 10_000,
        max_slashes_per_epoch: 1,
        accept_window_ticks: ACCEPT_WINDOW,
        offline_ticks: OFFLINE_TICKS,
    }
}

/// Parameter sets both the initializer and `config_update` must refuse, each with its
/// error: `basalt_rules::invalid_params!`, the list both chains are tested against.
pub fn bad_params() -> Vec<(&'static str, ConfigParams, BasaltError)> {
    basalt_rules::invalid_params!(ConfigParams, params())
        .into_iter()
        .map(|(what, p, rule)| (what, p, BasaltError::from(rule)))
        .collect()
}

pub struct Net {
    pub ctx: ProgramTestContext,
    pub admin: Keypair,
    pub mint: Pubkey,
    mint_authority: Keypair,
    nonce: u64,
    /// Every event emitted by a successful transaction, in order.
    pub events: Vec<BasaltEvent>,
}

/// The Anchor error code of a failed transaction, if it failed with one.
pub fn code_of(err: &BanksClientError) -> Option<u32> {
    use solana_transaction_error::TransactionError;
    let tx_err = match err {
        BanksClientError::TransactionError(e) => e,
        BanksClientError::SimulationError { err, .. } => err,
        _ => return None,
    };
    match tx_err {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(*code),
        _ => None,
    }
}

/// The numeric code of a Basalt error.
pub fn code(e: BasaltError) -> u32 {
    e as u32 + basalt::anchor_lang::error::ERROR_CODE_OFFSET
}

/// Asserts that `result` failed with Basalt error `expected`.
pub fn assert_basalt_err<T: std::fmt::Debug>(
    result: Result<T, BanksClientError>,
    expected: BasaltError,
) {
    match result {
        Ok(v) => panic!("expected {expected:?}, got success {v:?}"),
        Err(e) => assert_eq!(
            code_of(&e),
            Some(code(expected)),
            "expected {expected:?}, got {e:?}"
        ),
    }
}

impl Net {
    /// A fresh chain with the mint created and the Config initialized.
    pub async fn start() -> Result<Self> {
        let mut net = Self::start_uninitialized().await?;
        let admin = net.admin.insecure_clone();
        let mint = net.mint;
        net.send(
            &[ix::config_initialize(
                &admin.pubkey(),
                &mint,
                EPOCH_SLOTS,
                PROOF_WINDOW,
                params(),
                None,
            )],
            &[&admin],
        )
        .await?;
        Ok(net)
    }

    /// A fresh chain with the mint created and the admin funded, but no Config yet.
    pub async fn start_uninitialized() -> Result<Self> {
        let ctx = program_test().start_with_context().await;
        let mut net = Self {
            ctx,
            admin: Keypair::new(),
            mint: Pubkey::default(),
            mint_authority: Keypair::new(),
            nonce: 0,
            events: Vec::new(),
        };
        let admin = net.admin.insecure_clone();
        net.airdrop(&admin.pubkey(), 10_000_000_000).await?;
        net.mint = net.create_mint().await?;
        Ok(net)
    }

    /// Signs with the test payer plus `signers` and processes one transaction.
    pub async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<(), BanksClientError> {
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await?;
        let mut all: Vec<&Keypair> = vec![&self.ctx.payer];
        all.extend_from_slice(signers);
        // The bank only moves when a test warps it, so a retried transaction would be
        // identical to the first and rejected as a duplicate; a payer-to-self transfer of
        // a fresh amount makes every transaction unique without changing any balance.
        self.nonce += 1;
        let payer = self.ctx.payer.pubkey();
        let mut ixs = ixs.to_vec();
        ixs.push(solana_system_interface::instruction::transfer(
            &payer, &payer, self.nonce,
        ));
        let tx = Transaction::new_signed_with_payer(&ixs, Some(&payer), &all, blockhash);
        // Simulate first on the same bank state: program-test's simulation records inner
        // instructions (its processing metadata does not), so every successful transaction
        // in every test also proves that each Basalt instruction emitted its events.
        let simulated = self
            .ctx
            .banks_client
            .simulate_transaction(tx.clone())
            .await?;
        if let (Some(Ok(())), Some(details)) = (&simulated.result, &simulated.simulation_details) {
            let inner = details
                .inner_instructions
                .as_ref()
                .expect("program-test records inner instructions when simulating");
            let emitted = events::by_instruction(&tx, inner);
            events::check(&tx, &emitted);
            self.events.extend(emitted.into_iter().flatten());
        }
        self.ctx.banks_client.process_transaction(tx).await
    }

    /// Names of the events every transaction sent so far emitted, in order.
    pub fn event_names(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.name()).collect()
    }

    pub async fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<()> {
        let payer = self.ctx.payer.pubkey();
        self.send(
            &[solana_system_interface::instruction::transfer(
                &payer, to, lamports,
            )],
            &[],
        )
        .await?;
        Ok(())
    }

    /// A funded wallet.
    pub async fn wallet(&mut self) -> Result<Keypair> {
        let k = Keypair::new();
        self.airdrop(&k.pubkey(), 1_000_000_000).await?;
        Ok(k)
    }

    async fn create_mint(&mut self) -> Result<Pubkey> {
        self.create_mint_with(&self.mint_authority.pubkey()).await
    }

    /// Another mint (for wrong-mint attacks and token gates).
    pub async fn create_mint_with(&mut self, authority: &Pubkey) -> Result<Pubkey> {
        let mint = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await?;
        let payer = self.ctx.payer.pubkey();
        self.send(
            &[
                solana_system_interface::instruction::create_account(
                    &payer,
                    &mint.pubkey(),
                    rent.minimum_balance(spl_token::state::Mint::LEN),
                    spl_token::state::Mint::LEN as u64,
                    &spl_token::ID,
                ),
                spl_token::instruction::initialize_mint2(
                    &spl_token::ID,
                    &mint.pubkey(),
                    authority,
                    None,
                    0,
                )?,
            ],
            &[&mint],
        )
        .await?;
        Ok(mint.pubkey())
    }

    /// A token account of the stake mint owned by `owner`, holding `amount`.
    pub async fn tokens(&mut self, owner: &Pubkey, amount: u64) -> Result<Pubkey> {
        let mint = self.mint;
        let authority = self.mint_authority.insecure_clone();
        self.tokens_of(&mint, &authority, owner, amount).await
    }

    /// A token account of `mint` owned by `owner`, holding `amount`.
    pub async fn tokens_of(
        &mut self,
        mint: &Pubkey,
        mint_authority: &Keypair,
        owner: &Pubkey,
        amount: u64,
    ) -> Result<Pubkey> {
        let account = Keypair::new();
        let rent = self.ctx.banks_client.get_rent().await?;
        let payer = self.ctx.payer.pubkey();
        let mut ixs = vec![
            solana_system_interface::instruction::create_account(
                &payer,
                &account.pubkey(),
                rent.minimum_balance(spl_token::state::Account::LEN),
                spl_token::state::Account::LEN as u64,
                &spl_token::ID,
            ),
            spl_token::instruction::initialize_account3(
                &spl_token::ID,
                &account.pubkey(),
                mint,
                owner,
            )?,
        ];
        if amount > 0 {
            ixs.push(spl_token::instruction::mint_to(
                &spl_token::ID,
                mint,
                &account.pubkey(),
                &mint_authority.pubkey(),
                &[],
                amount,
            )?);
        }
        let signers: &[&Keypair] = if amount > 0 {
            &[&account, mint_authority]
        } else {
            &[&account]
        };
        self.send(&ixs, signers).await?;
        Ok(account.pubkey())
    }

    pub async fn balance(&mut self, token_account: &Pubkey) -> Result<u64> {
        let account = self
            .ctx
            .banks_client
            .get_account(*token_account)
            .await?
            .ok_or_else(|| anyhow!("no token account {token_account}"))?;
        Ok(spl_token::state::Account::unpack(&account.data)?.amount)
    }

    /// Decodes a program account.
    pub async fn account<T: AccountDeserialize>(&mut self, address: &Pubkey) -> Result<T> {
        let account = self
            .ctx
            .banks_client
            .get_account(*address)
            .await?
            .ok_or_else(|| anyhow!("no account {address}"))?;
        Ok(basalt::client::decode::account(&account.data)?)
    }

    /// The raw data of any account (a sysvar, say), if it exists.
    pub async fn account_data(&mut self, address: &Pubkey) -> Result<Option<Vec<u8>>> {
        Ok(self
            .ctx
            .banks_client
            .get_account(*address)
            .await?
            .map(|a| a.data))
    }

    /// The bank's unix time (the Clock sysvar).
    pub async fn unix_time(&mut self) -> Result<i64> {
        let clock: basalt::anchor_lang::prelude::Clock = self.ctx.banks_client.get_sysvar().await?;
        Ok(clock.unix_timestamp)
    }

    /// The lamports `address` holds (0 when it does not exist).
    pub async fn lamports(&mut self, address: &Pubkey) -> Result<u64> {
        Ok(self.ctx.banks_client.get_balance(*address).await?)
    }

    pub async fn exists(&mut self, address: &Pubkey) -> Result<bool> {
        Ok(self.ctx.banks_client.get_account(*address).await?.is_some())
    }

    pub async fn slot(&mut self) -> Result<u64> {
        Ok(self.ctx.banks_client.get_root_slot().await?)
    }

    /// Moves the chain to `slot` (a real new bank: Clock and SlotHashes advance).
    pub async fn warp(&mut self, slot: u64) -> Result<()> {
        self.ctx
            .warp_to_slot(slot)
            .map_err(|e| anyhow!("warp: {e:?}"))
    }

    /// Warps to `offset` slots into `epoch`.
    pub async fn warp_epoch(&mut self, epoch: u64, offset: u64) -> Result<()> {
        self.warp(epoch * EPOCH_SLOTS + offset).await
    }

    /// A registered provider with `stake` staked; returns its authority and token account.
    pub async fn provider(&mut self, roles: u8, stake: u64) -> Result<(Keypair, Pubkey)> {
        let authority = self.wallet().await?;
        let tokens = self.tokens(&authority.pubkey(), stake + 10_000).await?;
        self.send(
            &[
                ix::provider_register(
                    &authority.pubkey(),
                    "https://node.example:8443",
                    "eu-west",
                    roles,
                    1 << 40,
                ),
                ix::provider_stake(&authority.pubkey(), &tokens, stake),
            ],
            &[&authority],
        )
        .await?;
        Ok((authority, tokens))
    }

    /// Registers (without placing it) a private 4+2 blob of 1 MiB under `owner`, for the
    /// content whose digest is `cid_digest`; returns its address.
    pub async fn register_blob(&mut self, owner: &Keypair, cid_digest: [u8; 32]) -> Result<Pubkey> {
        let args = basalt::instructions::BlobRegisterArgs {
            cid_digest,
            size: 1 << 20,
            chunk_size: 1 << 20,
            leaf_size: basalt_proof::BlobLayout::new(1 << 20, 1 << 20, 4, 2)
                .map_err(|e| anyhow!("layout: {e}"))?
                .leaf_size(),
            k: 4,
            m: 2,
            commitment_root: [7; 32],
            expiry_epoch: 10,
            public: false,
            encrypted: false,
        };
        self.send(&[ix::blob_register(&owner.pubkey(), args)], &[owner])
            .await?;
        Ok(basalt::client::pda::blob(&owner.pubkey(), &cid_digest))
    }

    /// `n` registered providers of `roles`, each staking ten times the minimum.
    pub async fn providers(&mut self, roles: u8, n: usize) -> Result<Vec<(Keypair, Pubkey)>> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.provider(roles, MIN_STAKE * 10).await?);
        }
        Ok(out)
    }
}
