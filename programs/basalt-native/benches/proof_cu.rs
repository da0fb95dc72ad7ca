//! Compute units of one storage-proof verification on real SBF.
//!
//! `scripts/build-proof-sbf.sh` compiles `basalt-proof`'s check into a minimal SBF program
//! (`programs/basalt-proof-sbf`); this loads it into LiteSVM, whose VM meters every
//! instruction and syscall as a validator does, and sends one valid proof per blob size of
//! the default layout (RS(10, 4), 4 MiB chunks) up to the largest blob it proves, whose path
//! is the deepest one a transaction holds. Each row is measured three ways: the valid proof,
//! the same call that only parses its data (the program's fixed cost, subtracted to give the
//! verification's own), and a proof with one leaf byte flipped, which must be rejected.
//!
//! `BASALT_PROOF_SBF` names the program: `BASALT_PROOF_SBF=$(scripts/build-proof-sbf.sh)
//! cargo bench -p basalt-native --bench proof_cu`. Under `cargo test` it runs the same checks.

use anyhow::{bail, ensure, Context, Result};
use basalt_proof::layout::{DEFAULT_CHUNK_SIZE, DEFAULT_K, DEFAULT_M};
use basalt_proof::tx_budget::proof_tx_size;
use basalt_proof::{
    compute_root, derive_challenge, hash_leaf, verify_storage_proof, BlobLayout, Hash,
};
use litesvm::LiteSVM;
use solana_instruction::Instruction;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_signer::Signer;
use solana_transaction::Transaction;

/// Compute units a transaction gets without a ComputeBudget instruction (one instruction).
const DEFAULT_CU: u64 = 200_000;
/// The most a transaction can ask for.
const MAX_CU: u64 = 1_400_000;
/// The program's error for a proof that does not reach the column root.
const PROOF_REJECTED: u32 = 5;

enum Mode {
    Verify = 0,
    ParseOnly = 1,
}

/// One storage proof as `proof_submit` receives it, with what the program needs from the
/// blob account.
struct Proof {
    layout: BlobLayout,
    seed: [u8; 32],
    commitment_root: Hash,
    column_root: Hash,
    index: u16,
    epoch: u64,
    leaf: Vec<u8>,
    path: Vec<Hash>,
}

impl Proof {
    /// A valid proof for the leaf the chain would challenge: arbitrary leaf bytes and
    /// siblings, and the column root they hash to.
    fn valid(layout: BlobLayout) -> Result<Self> {
        let (seed, commitment_root, index, epoch) = ([7u8; 32], [9u8; 32], 3, 1234);
        let challenge = derive_challenge(&seed, &commitment_root, index, epoch, &layout)
            .context("an empty blob has no challenge")?;
        let leaf: Vec<u8> = (0..layout.leaf_size()).map(|i| i as u8).collect();
        let path: Vec<Hash> = (0..layout.path_len(challenge.chunk))
            .map(|i| hash_leaf(&i.to_le_bytes()))
            .collect();
        let (in_shard, in_column) = path.split_at(layout.shard_depth(challenge.chunk) as usize);
        let shard_root = compute_root(hash_leaf(&leaf), challenge.leaf, in_shard);
        let column_root = compute_root(shard_root, challenge.chunk, in_column);
        verify_storage_proof(
            &layout,
            &column_root,
            challenge.chunk,
            challenge.leaf,
            &leaf,
            &path,
        )?;
        Ok(Self {
            layout,
            seed,
            commitment_root,
            column_root,
            index,
            epoch,
            leaf,
            path,
        })
    }

    /// The instruction data `programs/basalt-proof-sbf` reads.
    fn data(&self, mode: Mode) -> Vec<u8> {
        let l = &self.layout;
        let mut data = vec![mode as u8];
        data.extend_from_slice(&l.size().to_le_bytes());
        data.extend_from_slice(&l.chunk_size().to_le_bytes());
        data.extend_from_slice(&l.k().to_le_bytes());
        data.extend_from_slice(&l.m().to_le_bytes());
        data.extend_from_slice(&l.leaf_size().to_le_bytes());
        data.extend_from_slice(&self.seed);
        data.extend_from_slice(&self.commitment_root);
        data.extend_from_slice(&self.column_root);
        data.extend_from_slice(&self.index.to_le_bytes());
        data.extend_from_slice(&self.epoch.to_le_bytes());
        data.extend_from_slice(&(self.leaf.len() as u32).to_le_bytes());
        data.extend_from_slice(&self.leaf);
        for sibling in &self.path {
            data.extend_from_slice(sibling);
        }
        data
    }
}

/// LiteSVM with the program loaded and a funded payer.
struct Vm {
    svm: LiteSVM,
    program: solana_keypair::Address,
    payer: Keypair,
}

impl Vm {
    fn load(so_path: &str) -> Result<Self> {
        let bytes = std::fs::read(so_path).with_context(|| format!("reading {so_path}"))?;
        let mut svm = LiteSVM::new();
        let program = Keypair::new().pubkey();
        svm.add_program(program, &bytes)
            .map_err(|e| anyhow::anyhow!("loading {so_path}: {e:?}"))?;
        let payer = Keypair::new();
        svm.airdrop(&payer.pubkey(), 1_000_000_000)
            .map_err(|e| anyhow::anyhow!("airdrop: {e:?}"))?;
        Ok(Self {
            svm,
            program,
            payer,
        })
    }

    /// Runs the program on `data`: the compute units it used, and its custom error if any.
    fn run(&mut self, data: Vec<u8>) -> Result<(u64, Option<u32>)> {
        use solana_transaction_error::TransactionError;
        let ix = Instruction::new_with_bytes(self.program, &data, vec![]);
        let message = Message::new(&[ix], Some(&self.payer.pubkey()));
        // A fresh blockhash per call: identical transactions would be refused as duplicates.
        self.svm.expire_blockhash();
        let tx = Transaction::new(&[&self.payer], message, self.svm.latest_blockhash());
        match self.svm.send_transaction(tx) {
            Ok(meta) => Ok((meta.compute_units_consumed, None)),
            Err(failed) => match failed.err {
                TransactionError::InstructionError(
                    0,
                    solana_instruction_error::InstructionError::Custom(code),
                ) => Ok((failed.meta.compute_units_consumed, Some(code))),
                other => bail!(
                    "the program failed: {other:?}\n{}",
                    failed.meta.pretty_logs()
                ),
            },
        }
    }
}

struct Row {
    blob: String,
    leaf: u32,
    steps: u32,
    tx_bytes: usize,
    total: u64,
    verification: u64,
    rejected: u64,
}

fn measure(vm: &mut Vm, size: u64) -> Result<Row> {
    let layout = BlobLayout::new(size, DEFAULT_CHUNK_SIZE, DEFAULT_K, DEFAULT_M)?;
    let proof = Proof::valid(layout)?;
    let (total, error) = vm.run(proof.data(Mode::Verify))?;
    ensure!(error.is_none(), "a valid proof was rejected: {error:?}");
    let (parse, error) = vm.run(proof.data(Mode::ParseOnly))?;
    ensure!(error.is_none(), "parsing failed: {error:?}");
    let mut tampered = proof.data(Mode::Verify);
    let leaf_start = tampered.len() - proof.path.len() * 32 - proof.leaf.len();
    tampered[leaf_start] ^= 1;
    let (rejected, error) = vm.run(tampered)?;
    ensure!(
        error == Some(PROOF_REJECTED),
        "a tampered leaf was not rejected as a bad proof: {error:?}"
    );
    ensure!(total <= DEFAULT_CU, "{total} CU is over the default budget");
    Ok(Row {
        blob: human(size),
        leaf: layout.leaf_size(),
        steps: proof.path.len() as u32,
        tx_bytes: proof_tx_size(layout.leaf_size(), proof.path.len() as u32),
        total,
        verification: total - parse,
        rejected,
    })
}

fn human(size: u64) -> String {
    match size {
        s if s >= 1 << 30 => format!("{} GiB", s >> 30),
        s => format!("{} MiB", s >> 20),
    }
}

fn main() -> Result<()> {
    let so_path = std::env::var("BASALT_PROOF_SBF").context(
        "BASALT_PROOF_SBF is not set: build the program with scripts/build-proof-sbf.sh \
         and pass the path it prints",
    )?;
    let mut vm = Vm::load(&so_path)?;
    let largest = BlobLayout::max_size(DEFAULT_CHUNK_SIZE, DEFAULT_K, DEFAULT_M);
    let sizes = [1 << 20, 64 << 20, 1 << 30, largest];
    println!(
        "storage-proof verification on SBF (LiteSVM), RS({DEFAULT_K}, {DEFAULT_M}), \
         {} MiB chunks",
        DEFAULT_CHUNK_SIZE >> 20
    );
    println!(
        "| blob | leaf | path steps | proof tx bytes | CU | of which verification | \
         rejected proof CU | of 200k | of 1.4M |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for size in sizes {
        let row = measure(&mut vm, size)?;
        let tag = if size == largest { " (largest)" } else { "" };
        println!(
            "| {}{tag} | {} B | {} | {} | {} | {} | {} | {:.2} % | {:.3} % |",
            row.blob,
            row.leaf,
            row.steps,
            row.tx_bytes,
            row.total,
            row.verification,
            row.rejected,
            row.total as f64 * 100.0 / DEFAULT_CU as f64,
            row.total as f64 * 100.0 / MAX_CU as f64,
        );
    }
    Ok(())
}
