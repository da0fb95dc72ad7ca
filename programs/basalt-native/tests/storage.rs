//! Blobs, storage proofs, slashing, repair and deals in a real Solana runtime, with blobs
//! encoded by `basalt-core` and proofs verified on chain by `basalt-proof`.
// solana-program-test 3.x marks its whole API deprecated ("agave-unstable-api"); it is
// still the runtime the project measured and hosts the program in.
#![allow(deprecated)]

use crate::common;

use anyhow::{anyhow, Result};
use basalt::anchor_lang::prelude::{Pubkey, SlotHashes};
use basalt::anchor_lang::solana_program::sysvar::SysvarId;
use basalt::client::{ix, pda};
use basalt::errors::BasaltError;
use basalt::instructions::BlobRegisterArgs;
use basalt::randomness::slot_hash_at_or_before;
use basalt::state::{Blob, Deal, Provider, ProviderStatus, ROLE_READ, ROLE_WRITE};
use basalt_core::encoder::{encode_blob, BlobManifest};
use basalt_proof::{derive_challenge, tx_budget};
use basalt_rules::Terms;
use common::{assert_basalt_err, Net, EPOCH_SLOTS, MIN_STAKE, PROOF_WINDOW};
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

const K: u16 = 4;
const M: u16 = 2;
const PRICE: u64 = 10;

/// A blob encoded for real, with every shard kept: `shards[chunk][index]`.
struct Encoded {
    manifest: BlobManifest,
    shards: Vec<Vec<Vec<u8>>>,
}

fn encode(len: usize, salt: u8) -> Result<Encoded> {
    // Pseudo-random bytes: periodic data would give identical shards and column roots.
    let mut data = vec![0u8; len];
    blake3::Hasher::new()
        .update(&[salt])
        .finalize_xof()
        .fill(&mut data);
    let mut shards = Vec::new();
    let manifest = encode_blob(&data, 16 << 10, K, M, None, |chunk| {
        shards.push(chunk.shards().map(<[u8]>::to_vec).collect());
    })?;
    Ok(Encoded { manifest, shards })
}

fn register_args(e: &Encoded, expiry_epoch: u64) -> BlobRegisterArgs {
    let layout = e.manifest.layout();
    BlobRegisterArgs {
        cid_digest: *e.manifest.cid.digest(),
        size: layout.size(),
        chunk_size: layout.chunk_size(),
        leaf_size: layout.leaf_size(),
        k: layout.k(),
        m: layout.m(),
        commitment_root: e.manifest.commitment.commitment_root(),
        expiry_epoch,
        public: false,
        encrypted: false,
    }
}

fn roots(e: &Encoded) -> Vec<[u8; 32]> {
    e.manifest.commitment.column_roots().to_vec()
}

/// Builds the proof the chain will challenge `index` for in `epoch`, from the live
/// SlotHashes sysvar, exactly as a storage node would.
async fn proof_ix(
    net: &mut Net,
    e: &Encoded,
    blob: &Pubkey,
    prover: &Pubkey,
    index: u16,
    epoch: u64,
    data_of: u16,
) -> Result<basalt::anchor_lang::solana_program::instruction::Instruction> {
    let sysvar = net
        .ctx
        .banks_client
        .get_account(SlotHashes::id())
        .await?
        .ok_or_else(|| anyhow!("no SlotHashes"))?;
    let seed = slot_hash_at_or_before(&sysvar.data, epoch * EPOCH_SLOTS)
        .ok_or_else(|| anyhow!("no seed"))?;
    let commitment = &e.manifest.commitment;
    let challenge = derive_challenge(
        &seed,
        &commitment.commitment_root(),
        index,
        epoch,
        commitment.layout(),
    )
    .ok_or_else(|| anyhow!("empty blob"))?;
    let shard = &e.shards[challenge.chunk as usize][usize::from(data_of)];
    let proof = match commitment.storage_proof(shard, challenge.chunk, data_of, challenge.leaf) {
        Some(p) => p,
        None => return Err(anyhow!("no proof")),
    };
    Ok(ix::proof_submit(
        prover, blob, index, epoch, proof.leaf, proof.path,
    ))
}

/// The terms a holder signs for: `column_root`, expiry `expiry_epoch` and [`PRICE`].
fn terms(column_root: [u8; 32], expiry_epoch: u64) -> Terms {
    Terms {
        column_root,
        expiry_epoch,
        price_per_shard_epoch: u128::from(PRICE),
    }
}

/// Each of `holders` accepts shard `first + i` (the i-th) with its real column root, the
/// blob's expiry `expiry_epoch` and the deal's [`PRICE`], as its node does once it stored
/// and checked the column.
async fn accept(
    net: &mut Net,
    e: &Encoded,
    blob: &Pubkey,
    expiry_epoch: u64,
    first: u16,
    holders: &[(Keypair, Pubkey)],
) -> Result<()> {
    let roots = roots(e);
    for (index, (holder, _)) in (first..).zip(holders) {
        let terms = terms(roots[usize::from(index)], expiry_epoch);
        net.send(
            &[ix::shard_accept(&holder.pubkey(), blob, index, &terms)],
            &[holder],
        )
        .await?;
    }
    Ok(())
}

struct Stored {
    e: Encoded,
    blob: Pubkey,
    owner: Keypair,
    owner_tokens: Pubkey,
    holders: Vec<(Keypair, Pubkey)>,
}

/// Registers, places and funds a blob on six fresh providers, in one transaction, and has
/// every holder accept its shard.
async fn store(net: &mut Net, len: usize, escrow: u64) -> Result<Stored> {
    let e = encode(len, 7)?;
    let holders = net
        .providers(basalt::state::ROLE_STORAGE, usize::from(K + M))
        .await?;
    let owner = net.wallet().await?;
    let owner_tokens = net.tokens(&owner.pubkey(), 100_000).await?;
    let blob = pda::blob(&owner.pubkey(), e.manifest.cid.digest());
    let providers: Vec<Pubkey> = holders.iter().map(|(k, _)| k.pubkey()).collect();
    net.send(
        &[
            ix::blob_register(&owner.pubkey(), register_args(&e, 20)),
            ix::blob_place(&owner.pubkey(), &blob, 0, roots(&e), &providers, false),
            ix::deal_fund(&owner.pubkey(), &blob, &owner_tokens, PRICE, escrow),
        ],
        &[&owner],
    )
    .await?;
    accept(net, &e, &blob, 20, 0, &holders).await?;
    Ok(Stored {
        e,
        blob,
        owner,
        owner_tokens,
        holders,
    })
}

#[tokio::test]
async fn register_place_and_activate() -> Result<()> {
    let mut net = Net::start().await?;
    let s = store(&mut net, 40_000, 1_000).await?;
    let blob: Blob = net.account(&s.blob).await?;
    assert!(blob.active);
    assert_eq!(blob.chunk_count, s.e.manifest.layout().chunk_count());
    assert!(blob.chunk_count >= 2, "the test blob spans several chunks");
    assert_eq!(blob.shards[3].provider, s.holders[3].0.pubkey());
    assert_eq!(blob.shards[0].assigned_epoch, 1);
    assert_eq!(
        net.account::<Deal>(&pda::deal(&s.blob)).await?.balance,
        1_000
    );
    assert_eq!(net.balance(&pda::escrow_vault()).await?, 1_000);
    Ok(())
}

/// Issue 42, finding 3. Before the fix a blob's address was `["blob", cid_digest]`: whoever
/// registered a digest first (a public file's, or one read from a pending transaction) owned
/// that content's only address and every later registration of it failed. Now the address
/// binds the owner too.
#[tokio::test]
async fn registering_a_digest_first_blocks_nobody() -> Result<()> {
    let mut net = Net::start().await?;
    let e = encode(30_000, 9)?;
    let (owner, squatter) = (net.wallet().await?, net.wallet().await?);
    let digest = e.manifest.cid.digest();

    // The squatter cannot create the owner's address: it is derived from the signer.
    let mut forged = ix::blob_register(&squatter.pubkey(), register_args(&e, 20));
    forged.accounts[2].pubkey = pda::blob(&owner.pubkey(), digest);
    assert!(net.send(&[forged], &[&squatter]).await.is_err());

    // Registering the same content first takes only the squatter's own address.
    net.send(
        &[ix::blob_register(&squatter.pubkey(), register_args(&e, 20))],
        &[&squatter],
    )
    .await?;
    net.send(
        &[ix::blob_register(&owner.pubkey(), register_args(&e, 20))],
        &[&owner],
    )
    .await?;
    let mine: Blob = net.account(&pda::blob(&owner.pubkey(), digest)).await?;
    let theirs: Blob = net.account(&pda::blob(&squatter.pubkey(), digest)).await?;
    assert_eq!(
        (mine.owner, theirs.owner),
        (owner.pubkey(), squatter.pubkey())
    );
    assert_eq!(mine.cid_digest, theirs.cid_digest);

    // And it gives no rights on the owner's blob.
    let holders = net.providers(basalt::state::ROLE_STORAGE, 6).await?;
    let providers: Vec<Pubkey> = holders.iter().map(|(k, _)| k.pubkey()).collect();
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &squatter.pubkey(),
                &pda::blob(&owner.pubkey(), digest),
                0,
                roots(&e),
                &providers,
                false,
            )],
            &[&squatter],
        )
        .await,
        BasaltError::Unauthorized,
    );
    Ok(())
}

#[tokio::test]
async fn placement_attacks_are_refused() -> Result<()> {
    let mut net = Net::start().await?;
    let e = encode(30_000, 1)?;
    let owner = net.wallet().await?;
    let blob = pda::blob(&owner.pubkey(), e.manifest.cid.digest());
    net.send(
        &[ix::blob_register(&owner.pubkey(), register_args(&e, 20))],
        &[&owner],
    )
    .await?;
    let holders = net.providers(basalt::state::ROLE_STORAGE, 6).await?;
    let mut providers: Vec<Pubkey> = holders.iter().map(|(k, _)| k.pubkey()).collect();

    // A provider that is unbonding cannot be given shards; nor one under the minimum stake.
    let (unbonding, _) = net.provider(basalt::state::ROLE_STORAGE, MIN_STAKE).await?;
    net.send(
        &[ix::provider_unstake(&unbonding.pubkey(), 1)],
        &[&unbonding],
    )
    .await?;
    let mut with_inactive = providers.clone();
    with_inactive[5] = unbonding.pubkey();
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &blob,
                0,
                roots(&e),
                &with_inactive,
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::ProviderNotEligible,
    );
    let (poor, _) = net
        .provider(basalt::state::ROLE_STORAGE, MIN_STAKE - 1)
        .await?;
    with_inactive[5] = poor.pubkey();
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &blob,
                0,
                roots(&e),
                &with_inactive,
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::ProviderNotEligible,
    );
    // A compute-only provider holds no shards.
    let (compute, _) = net.provider(basalt::state::ROLE_COMPUTE, MIN_STAKE).await?;
    with_inactive[5] = compute.pubkey();
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &blob,
                0,
                roots(&e),
                &with_inactive,
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::ProviderNotEligible,
    );
    // The same provider twice.
    let mut twice = providers.clone();
    twice[5] = providers[0];
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &blob,
                0,
                roots(&e),
                &twice,
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::DuplicateProvider,
    );
    // Column roots that do not hash to the commitment root.
    let mut wrong = roots(&e);
    wrong[2][0] ^= 1;
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &blob,
                0,
                wrong,
                &providers,
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::CommitmentMismatch,
    );
    // Someone else placing the owner's blob.
    let stranger = net.wallet().await?;
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &stranger.pubkey(),
                &blob,
                0,
                roots(&e),
                &providers,
                false,
            )],
            &[&stranger],
        )
        .await,
        BasaltError::Unauthorized,
    );
    // Fewer provider accounts than roots.
    providers.pop();
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &blob,
                0,
                roots(&e),
                &providers,
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::PlacementMismatch,
    );
    // A layout whose proofs cannot be checked, and an expiry in the past.
    let mut bad = register_args(&encode(10, 2)?, 20);
    bad.leaf_size = 3;
    assert_basalt_err(
        net.send(&[ix::blob_register(&owner.pubkey(), bad)], &[&owner])
            .await,
        BasaltError::InvalidLayout,
    );
    let past = register_args(&encode(10, 3)?, 0);
    assert_basalt_err(
        net.send(&[ix::blob_register(&owner.pubkey(), past)], &[&owner])
            .await,
        BasaltError::InvalidExpiry,
    );
    Ok(())
}

#[tokio::test]
async fn proofs_are_verified_paid_once_and_misses_are_slashed() -> Result<()> {
    let mut net = Net::start().await?;
    let s = store(&mut net, 40_000, 1_000).await?;
    let (h0, h1, h2) = (
        s.holders[0].0.insecure_clone(),
        s.holders[1].0.insecure_clone(),
        s.holders[2].0.insecure_clone(),
    );

    // Epoch 1, inside the proof window.
    net.warp_epoch(1, 5).await?;
    let good = proof_ix(&mut net, &s.e, &s.blob, &h0.pubkey(), 0, 1, 0).await?;

    // The proof transaction, with a compute-unit limit and a priority fee in front of the
    // proof as a node sends it, is byte for byte as budgeted and fits Solana's packet limit.
    let mut priced = ix::proof_compute_budget(7).to_vec();
    priced.push(good.clone());
    let blockhash = net.ctx.banks_client.get_latest_blockhash().await?;
    let tx = Transaction::new_signed_with_payer(&priced, Some(&h0.pubkey()), &[&h0], blockhash);
    let size = bincode::serialize(&tx)?.len();
    let layout = s.e.manifest.layout();
    assert_eq!(good.accounts.len(), tx_budget::PROOF_TX_ACCOUNTS);
    assert_eq!(
        size,
        tx_budget::PROOF_TX_OVERHEAD - tx_budget::PROOF_IX_FIXED_DATA + good.data.len()
    );
    assert!(size <= tx_budget::proof_tx_size(layout.leaf_size(), layout.max_path_len()));
    assert!(size <= tx_budget::SOLANA_TX_MAX);

    net.send(&priced, &[&h0]).await?;
    assert_basalt_err(net.send(&[good], &[&h0]).await, BasaltError::AlreadyProven);

    // A proof built from another shard's data, a proof by a non-holder, a proof for
    // another epoch: all refused.
    let other_data = proof_ix(&mut net, &s.e, &s.blob, &h1.pubkey(), 1, 1, 0).await?;
    assert_basalt_err(
        net.send(&[other_data], &[&h1]).await,
        BasaltError::InvalidProof,
    );
    let not_holder = proof_ix(&mut net, &s.e, &s.blob, &h1.pubkey(), 0, 1, 0).await?;
    assert_basalt_err(
        net.send(&[not_holder], &[&h1]).await,
        BasaltError::NotShardHolder,
    );
    let next_epoch = proof_ix(&mut net, &s.e, &s.blob, &h1.pubkey(), 1, 2, 1).await?;
    assert_basalt_err(
        net.send(&[next_epoch], &[&h1]).await,
        BasaltError::WrongEpoch,
    );
    let mut tampered = proof_ix(&mut net, &s.e, &s.blob, &h1.pubkey(), 1, 1, 1).await?;
    let len = tampered.data.len();
    tampered.data[len - 1] ^= 1; // last byte of the path
    assert_basalt_err(
        net.send(&[tampered], &[&h1]).await,
        BasaltError::InvalidProof,
    );
    let ok1 = proof_ix(&mut net, &s.e, &s.blob, &h1.pubkey(), 1, 1, 1).await?;
    net.send(&[ok1], &[&h1]).await?;

    // Slashing before the deadline, or slashing an honest provider, fails.
    let cranker = net.wallet().await?;
    let cranker_tokens = net.tokens(&cranker.pubkey(), 0).await?;
    assert_basalt_err(
        net.send(
            &[ix::proof_slash(
                &cranker.pubkey(),
                &s.blob,
                &h2.pubkey(),
                &cranker_tokens,
                2,
                1,
            )],
            &[&cranker],
        )
        .await,
        BasaltError::DeadlineNotPassed,
    );
    net.warp_epoch(1, PROOF_WINDOW + 1).await?;
    let late = proof_ix(&mut net, &s.e, &s.blob, &h2.pubkey(), 2, 1, 2).await?;
    assert_basalt_err(
        net.send(&[late], &[&h2]).await,
        BasaltError::OutsideProofWindow,
    );
    assert_basalt_err(
        net.send(
            &[ix::proof_slash(
                &cranker.pubkey(),
                &s.blob,
                &h0.pubkey(),
                &cranker_tokens,
                0,
                1,
            )],
            &[&cranker],
        )
        .await,
        BasaltError::EpochWasProven,
    );
    // Naming a provider that does not hold the shard.
    assert_basalt_err(
        net.send(
            &[ix::proof_slash(
                &cranker.pubkey(),
                &s.blob,
                &h0.pubkey(),
                &cranker_tokens,
                2,
                1,
            )],
            &[&cranker],
        )
        .await,
        BasaltError::NotShardHolder,
    );

    // Holder 2 missed epoch 1: slashed 10 %, 20 % of it to the cranker, jailed, shard
    // marked for repair; a second crank finds nothing to slash.
    let treasury_before = net.balance(&pda::treasury()).await?;
    net.send(
        &[ix::proof_slash(
            &cranker.pubkey(),
            &s.blob,
            &h2.pubkey(),
            &cranker_tokens,
            2,
            1,
        )],
        &[&cranker],
    )
    .await?;
    let slashed = MIN_STAKE * 10 / 10;
    assert_eq!(net.balance(&cranker_tokens).await?, slashed / 5);
    assert_eq!(
        net.balance(&pda::treasury()).await? - treasury_before,
        slashed - slashed / 5
    );
    let p: Provider = net.account(&pda::provider(&h2.pubkey())).await?;
    assert_eq!(
        (p.stake, p.status, p.reputation),
        (MIN_STAKE * 10 - slashed, ProviderStatus::Jailed, -1)
    );
    assert!(net.account::<Blob>(&s.blob).await?.shards[2].needs_repair);
    assert_basalt_err(
        net.send(
            &[ix::proof_slash(
                &cranker.pubkey(),
                &s.blob,
                &h2.pubkey(),
                &cranker_tokens,
                2,
                1,
            )],
            &[&cranker],
        )
        .await,
        BasaltError::ShardNeedsRepair,
    );

    // Payouts: holder 0 proved one epoch and is paid once; holder 2 proved nothing.
    let t0 = s.holders[0].1;
    let before = net.balance(&t0).await?;
    net.send(&[ix::deal_settle(&s.blob, 0, &t0)], &[]).await?;
    net.send(&[ix::deal_settle(&s.blob, 0, &t0)], &[]).await?;
    assert_eq!(net.balance(&t0).await? - before, PRICE);
    let t2 = s.holders[2].1;
    let before2 = net.balance(&t2).await?;
    net.send(&[ix::deal_settle(&s.blob, 2, &t2)], &[]).await?;
    assert_eq!(net.balance(&t2).await?, before2);
    // Paying holder 1's epoch into holder 0's account is refused.
    assert_basalt_err(
        net.send(&[ix::deal_settle(&s.blob, 1, &t0)], &[]).await,
        BasaltError::WrongTokenAccount,
    );

    // Repair: the shard moves to a fresh provider, keeping its column root; healthy
    // shards do not move; a jailed provider gets nothing new.
    let (fresh, _) = net.provider(basalt::state::ROLE_STORAGE, MIN_STAKE).await?;
    let owner = s.owner.insecure_clone();
    let root2 = roots(&s.e)[2];
    let mut changed = root2;
    changed[0] ^= 1;
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &s.blob,
                2,
                vec![changed],
                &[fresh.pubkey()],
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::ColumnRootChanged,
    );
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &s.blob,
                3,
                vec![roots(&s.e)[3]],
                &[fresh.pubkey()],
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::ShardNotRepairable,
    );
    assert_basalt_err(
        net.send(
            &[ix::blob_place(
                &owner.pubkey(),
                &s.blob,
                2,
                vec![root2],
                &[h2.pubkey()],
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::ProviderNotEligible,
    );
    net.send(
        &[ix::blob_place(
            &owner.pubkey(),
            &s.blob,
            2,
            vec![root2],
            &[fresh.pubkey()],
            false,
        )],
        &[&owner],
    )
    .await?;
    let blob: Blob = net.account(&s.blob).await?;
    assert_eq!(
        (
            blob.shards[2].provider,
            blob.shards[2].needs_repair,
            blob.shards[2].assigned_epoch
        ),
        (fresh.pubkey(), false, 2)
    );

    // Unjail: refused while the term runs; allowed once it has passed and the stake is
    // back at the minimum; refused to a provider that is not jailed.
    let p2 = pda::provider(&h2.pubkey());
    assert_basalt_err(
        net.send(&[ix::provider_unjail(&h2.pubkey())], &[&h2]).await,
        BasaltError::CannotUnjail,
    );
    let jailed: Provider = net.account(&p2).await?;
    net.warp_epoch(jailed.jailed_until_epoch + 1, 0).await?;
    if jailed.stake < MIN_STAKE {
        assert_basalt_err(
            net.send(&[ix::provider_unjail(&h2.pubkey())], &[&h2]).await,
            BasaltError::CannotUnjail,
        );
        let topped = net.tokens(&h2.pubkey(), MIN_STAKE).await?;
        net.send(
            &[ix::provider_stake(
                &h2.pubkey(),
                &topped,
                MIN_STAKE - jailed.stake,
            )],
            &[&h2],
        )
        .await?;
    }
    net.send(&[ix::provider_unjail(&h2.pubkey())], &[&h2])
        .await?;
    let back: Provider = net.account(&p2).await?;
    assert_eq!(back.status, ProviderStatus::Active);
    assert_basalt_err(
        net.send(&[ix::provider_unjail(&fresh.pubkey())], &[&fresh])
            .await,
        BasaltError::NotJailed,
    );
    Ok(())
}

/// Only the owner or a WRITE grantee adds to a blob's deal: a stranger's money would keep
/// alive a blob its owner means to let lapse.
#[tokio::test]
async fn only_the_owner_or_a_write_grantee_tops_up_a_deal_in_the_stake_mint() -> Result<()> {
    let mut net = Net::start().await?;
    let s = store(&mut net, 20_000, PRICE).await?;
    let friend = net.wallet().await?;
    let friend_tokens = net.tokens(&friend.pubkey(), 5 * PRICE).await?;
    let top_up = |via_grant: bool, from: &Pubkey, amount: u64| {
        ix::deal_top_up(&friend.pubkey(), &s.blob, from, amount, via_grant)
    };
    let grant = |roles: u8| {
        ix::grant_create(
            &s.owner.pubkey(),
            &s.blob,
            &friend.pubkey(),
            roles,
            None,
            Vec::new(),
            false,
        )
    };

    // A stranger, and a grantee that may only read, are refused.
    assert_basalt_err(
        net.send(&[top_up(false, &friend_tokens, PRICE)], &[&friend])
            .await,
        BasaltError::Unauthorized,
    );
    net.send(&[grant(ROLE_READ)], &[&s.owner]).await?;
    assert_basalt_err(
        net.send(&[top_up(true, &friend_tokens, PRICE)], &[&friend])
            .await,
        BasaltError::Unauthorized,
    );

    // A WRITE grantee tops up; the refund still goes to the payer.
    net.send(
        &[ix::grant_revoke(
            &s.owner.pubkey(),
            &s.blob,
            &friend.pubkey(),
            &s.owner.pubkey(),
            false,
        )],
        &[&s.owner],
    )
    .await?;
    net.send(&[grant(ROLE_WRITE)], &[&s.owner]).await?;
    let vault_before = net.balance(&pda::escrow_vault()).await?;
    net.send(&[top_up(true, &friend_tokens, 2 * PRICE)], &[&friend])
        .await?;
    let deal: Deal = net.account(&pda::deal(&s.blob)).await?;
    assert_eq!(deal.balance, 3 * PRICE);
    assert_eq!(
        net.balance(&pda::escrow_vault()).await? - vault_before,
        2 * PRICE
    );
    assert_eq!(
        deal.payer,
        s.owner.pubkey(),
        "refunds still go to the payer"
    );

    assert_basalt_err(
        net.send(&[top_up(true, &friend_tokens, 0)], &[&friend])
            .await,
        BasaltError::ZeroAmount,
    );
    // Another mint's tokens, or tokens the signer does not own, are refused by the
    // account constraints before anything moves.
    let other_authority = Keypair::new();
    let other_mint = net.create_mint_with(&other_authority.pubkey()).await?;
    let foreign = net
        .tokens_of(&other_mint, &other_authority, &friend.pubkey(), PRICE)
        .await?;
    assert!(net
        .send(&[top_up(true, &foreign, PRICE)], &[&friend])
        .await
        .is_err());
    assert!(net
        .send(&[top_up(true, &s.owner_tokens, PRICE)], &[&friend])
        .await
        .is_err());
    let deal: Deal = net.account(&pda::deal(&s.blob)).await?;
    assert_eq!(deal.balance, 3 * PRICE);
    Ok(())
}

/// A blob stored with escrow for one and a half shard-epochs, whose holders of indices 0
/// and 1 proved epoch 1: two epochs owed, one and a half paid for.
async fn two_proven_epochs_on_a_short_escrow(net: &mut Net) -> Result<Stored> {
    let s = store(net, 20_000, PRICE + PRICE / 2).await?;
    net.warp_epoch(1, 3).await?;
    for i in 0..2u16 {
        let h = s.holders[usize::from(i)].0.insecure_clone();
        let p = proof_ix(net, &s.e, &s.blob, &h.pubkey(), i, 1, i).await?;
        net.send(&[p], &[&h]).await?;
    }
    Ok(s)
}

#[tokio::test]
async fn a_deal_never_pays_more_than_its_escrow_and_refunds_the_rest() -> Result<()> {
    let mut net = Net::start().await?;
    let s = two_proven_epochs_on_a_short_escrow(&mut net).await?;
    let owner = s.owner.insecure_clone();
    let (t0, t1) = (s.holders[0].1, s.holders[1].1);
    let (b0, b1) = (net.balance(&t0).await?, net.balance(&t1).await?);

    // Cancelling with proven epochs unpaid is refused; a stranger cannot cancel at all.
    assert_basalt_err(
        net.send(
            &[ix::deal_refund(
                &owner.pubkey(),
                &s.blob,
                &owner.pubkey(),
                &s.owner_tokens,
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::UnsettledPayouts,
    );
    let stranger = net.wallet().await?;
    assert_basalt_err(
        net.send(
            &[ix::deal_refund(
                &stranger.pubkey(),
                &s.blob,
                &owner.pubkey(),
                &s.owner_tokens,
                false,
            )],
            &[&stranger],
        )
        .await,
        BasaltError::Unauthorized,
    );

    net.send(
        &[
            ix::deal_settle(&s.blob, 0, &t0),
            ix::deal_settle(&s.blob, 1, &t1),
        ],
        &[],
    )
    .await?;
    assert_eq!(net.balance(&t0).await? - b0, PRICE);
    assert_eq!(
        net.balance(&t1).await? - b1,
        0,
        "not overdrawn: the second epoch stays owed"
    );
    let deal: Deal = net.account(&pda::deal(&s.blob)).await?;
    assert_eq!((deal.balance, deal.total_paid), (PRICE / 2, PRICE));

    // Deleting the blob while its deal holds escrow is refused; refund, then delete.
    let holders = net.account::<Blob>(&s.blob).await?.accepted_holders();
    assert_eq!(holders.len(), s.holders.len(), "every holder accepted");
    assert_basalt_err(
        net.send(
            &[ix::blob_delete(
                &owner.pubkey(),
                &s.blob,
                &owner.pubkey(),
                false,
                &holders,
                &[],
            )],
            &[&owner],
        )
        .await,
        BasaltError::UnsettledPayouts,
    );
    // What is owed is paid before the deal can be refunded: top up, settle.
    net.send(
        &[
            ix::deal_top_up(&owner.pubkey(), &s.blob, &s.owner_tokens, PRICE, false),
            ix::deal_settle(&s.blob, 1, &t1),
        ],
        &[&owner],
    )
    .await?;
    assert_eq!(net.balance(&t1).await? - b1, PRICE);
    let before = net.balance(&s.owner_tokens).await?;
    net.send(
        &[
            ix::deal_refund(
                &owner.pubkey(),
                &s.blob,
                &owner.pubkey(),
                &s.owner_tokens,
                false,
            ),
            ix::blob_delete(
                &owner.pubkey(),
                &s.blob,
                &owner.pubkey(),
                false,
                &holders,
                &[],
            ),
        ],
        &[&owner],
    )
    .await?;
    assert_eq!(net.balance(&s.owner_tokens).await? - before, PRICE / 2);
    assert!(!net.exists(&s.blob).await?);
    assert!(!net.exists(&pda::deal(&s.blob)).await?);
    assert_eq!(net.balance(&pda::escrow_vault()).await?, 0);
    Ok(())
}

/// Issue 42, finding 8, the attack: the owner lets the escrow run short, cranks a settle
/// (anyone may) while it is, then tops up. Before the fix the settle forfeited the
/// holder's earned epoch for good; now it stays owed and the top-up pays it.
#[tokio::test]
async fn a_short_escrow_keeps_earned_epochs_owed_until_a_top_up() -> Result<()> {
    let mut net = Net::start().await?;
    let s = two_proven_epochs_on_a_short_escrow(&mut net).await?;
    let (t0, t1) = (s.holders[0].1, s.holders[1].1);
    let (b0, b1) = (net.balance(&t0).await?, net.balance(&t1).await?);
    net.send(
        &[
            ix::deal_settle(&s.blob, 0, &t0),
            ix::deal_settle(&s.blob, 1, &t1),
        ],
        &[],
    )
    .await?;
    assert_eq!(net.balance(&t0).await? - b0, PRICE);
    assert_eq!(net.balance(&t1).await?, b1, "nothing to pay it with yet");
    let blob: Blob = net.account(&s.blob).await?;
    assert_eq!(blob.shards[1].unpaid_epochs, 1, "the epoch stays owed");
    // The refund waits for what is owed; a top-up pays it.
    let owner = s.owner.insecure_clone();
    assert_basalt_err(
        net.send(
            &[ix::deal_refund(
                &owner.pubkey(),
                &s.blob,
                &owner.pubkey(),
                &s.owner_tokens,
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::UnsettledPayouts,
    );
    net.send(
        &[ix::deal_top_up(
            &owner.pubkey(),
            &s.blob,
            &s.owner_tokens,
            PRICE,
            false,
        )],
        &[&owner],
    )
    .await?;
    net.send(&[ix::deal_settle(&s.blob, 1, &t1)], &[]).await?;
    assert_eq!(
        net.balance(&t1).await? - b1,
        PRICE,
        "paid once the escrow holds it"
    );
    let deal: Deal = net.account(&pda::deal(&s.blob)).await?;
    assert_eq!((deal.balance, deal.total_paid), (PRICE / 2, 2 * PRICE));
    Ok(())
}

#[tokio::test]
async fn an_expired_deal_is_refunded_by_anyone_to_its_payer() -> Result<()> {
    let mut net = Net::start().await?;
    let s = store(&mut net, 10_000, 500).await?;
    let stranger = net.wallet().await?;
    let owner = s.owner.pubkey();
    net.warp_epoch(21, 0).await?; // expiry epoch was 20
    let before = net.balance(&s.owner_tokens).await?;
    net.send(
        &[ix::deal_refund(
            &stranger.pubkey(),
            &s.blob,
            &owner,
            &s.owner_tokens,
            false,
        )],
        &[&stranger],
    )
    .await?;
    assert_eq!(net.balance(&s.owner_tokens).await? - before, 500);
    Ok(())
}

/// Measures what a client must know to register an RS(10, 4) blob: the legacy-transaction
/// size of register + place + fund in one transaction, and of placement split in two.
#[test]
fn registration_transaction_sizes() -> Result<()> {
    let owner = Keypair::new();
    let o = owner.pubkey();
    let providers: Vec<Pubkey> = (0..14).map(|_| Pubkey::new_unique()).collect();
    let args = BlobRegisterArgs {
        cid_digest: [1; 32],
        size: 1 << 30,
        chunk_size: 4 << 20,
        leaf_size: 1024,
        k: 10,
        m: 4,
        commitment_root: [2; 32],
        expiry_epoch: 100,
        public: false,
        encrypted: false,
    };
    let blob = pda::blob(&o, &args.cid_digest);
    let tokens = Pubkey::new_unique();
    let size =
        |ixs: &[basalt::anchor_lang::solana_program::instruction::Instruction]| -> Result<usize> {
            let tx =
                Transaction::new_signed_with_payer(ixs, Some(&o), &[&owner], Default::default());
            Ok(bincode::serialize(&tx)?.len())
        };
    let all_in_one = size(&[
        ix::blob_register(&o, args.clone()),
        ix::blob_place(&o, &blob, 0, vec![[3; 32]; 14], &providers, false),
        ix::deal_fund(&o, &blob, &tokens, PRICE, 1_000),
    ])?;
    let first = size(&[
        ix::blob_register(&o, args.clone()),
        ix::blob_place(&o, &blob, 0, vec![[3; 32]; 7], &providers[..7], false),
    ])?;
    let second = size(&[
        ix::blob_place(&o, &blob, 7, vec![[3; 32]; 7], &providers[7..], false),
        ix::deal_fund(&o, &blob, &tokens, PRICE, 1_000),
    ])?;
    println!("RS(10, 4) registration, legacy transactions: one {all_in_one} B; split {first} B + {second} B");
    assert!(
        all_in_one > tx_budget::SOLANA_TX_MAX,
        "needs a lookup table in one transaction"
    );
    assert!(first <= tx_budget::SOLANA_TX_MAX && second <= tx_budget::SOLANA_TX_MAX);
    Ok(())
}

/// Issue 28, finding 4: a holder proves neither before its blob is active (the placement is
/// not complete, so nothing is paid for) nor past the blob's expiry; and a slot re-placed
/// before activation does not hand earlier proofs to its new holder.
#[tokio::test]
async fn proofs_of_inactive_or_expired_blobs_are_refused() -> Result<()> {
    let mut net = Net::start().await?;
    // Placed on all but one shard index: registered, not active.
    let e = encode(30_000, 4)?;
    let owner = net.wallet().await?;
    let blob = pda::blob(&owner.pubkey(), e.manifest.cid.digest());
    let holders = net
        .providers(basalt::state::ROLE_STORAGE, usize::from(K + M))
        .await?;
    let keys: Vec<Pubkey> = holders.iter().map(|(k, _)| k.pubkey()).collect();
    let placed = usize::from(K + M) - 1;
    net.send(
        &[
            ix::blob_register(&owner.pubkey(), register_args(&e, 3)),
            ix::blob_place(
                &owner.pubkey(),
                &blob,
                0,
                roots(&e)[..placed].to_vec(),
                &keys[..placed],
                false,
            ),
        ],
        &[&owner],
    )
    .await?;
    assert!(!net.account::<Blob>(&blob).await?.active);
    net.warp_epoch(1, 5).await?;
    let h0 = &holders[0].0;
    let early = proof_ix(&mut net, &e, &blob, &h0.pubkey(), 0, 1, 0).await?;
    assert_basalt_err(net.send(&[early], &[h0]).await, BasaltError::BlobNotActive);
    assert_eq!(net.account::<Blob>(&blob).await?.shards[0].unpaid_epochs, 0);

    // Completed, then proven up to its expiry (epoch 3) and not after.
    net.send(
        &[ix::blob_place(
            &owner.pubkey(),
            &blob,
            placed as u16,
            roots(&e)[placed..].to_vec(),
            &keys[placed..],
            false,
        )],
        &[&owner],
    )
    .await?;
    let owner_tokens = net.tokens(&owner.pubkey(), 1_000).await?;
    net.send(
        &[ix::deal_fund(
            &owner.pubkey(),
            &blob,
            &owner_tokens,
            PRICE,
            1_000,
        )],
        &[&owner],
    )
    .await?;
    accept(&mut net, &e, &blob, 3, 0, &holders).await?;
    net.warp_epoch(2, 5).await?;
    let ok = proof_ix(&mut net, &e, &blob, &h0.pubkey(), 0, 2, 0).await?;
    net.send(&[ok], &[h0]).await?;
    net.warp_epoch(3, 5).await?;
    let expired = proof_ix(&mut net, &e, &blob, &h0.pubkey(), 0, 3, 0).await?;
    assert_basalt_err(net.send(&[expired], &[h0]).await, BasaltError::BlobExpired);
    Ok(())
}

/// Issue 28, finding 1, the attack: an owner registers a blob whose commitment covers
/// column roots no data backs, places it on providers that never agreed to hold it, waits
/// for the proof window to close and cranks their slashes for the bounty. The providers
/// owe nothing until they accept, and the blob binds nobody until every holder has: with
/// accomplices accepting every other index, every slash is still refused and no stake
/// moves; nobody but the provider can accept for it.
#[tokio::test]
async fn placements_nobody_accepted_cannot_be_slashed() -> Result<()> {
    let mut net = Net::start().await?;
    let victims = net
        .providers(basalt::state::ROLE_STORAGE, usize::from(K + M))
        .await?;
    let keys: Vec<Pubkey> = victims.iter().map(|(k, _)| k.pubkey()).collect();
    let e = encode(30_000, 9)?;
    let unbacked: Vec<[u8; 32]> = (1..=K + M).map(|i| [i as u8; 32]).collect();
    let mut args = register_args(&e, 20);
    args.commitment_root = basalt_proof::commitment_root(&unbacked);
    let attacker = net.wallet().await?;
    let attacker_tokens = net.tokens(&attacker.pubkey(), 1_000).await?;
    let blob = pda::blob(&attacker.pubkey(), e.manifest.cid.digest());
    net.send(
        &[
            ix::blob_register(&attacker.pubkey(), args),
            ix::blob_place(&attacker.pubkey(), &blob, 0, unbacked.clone(), &keys, false),
            // Every token the attacker has: a bounty would show on its empty account.
            ix::deal_fund(&attacker.pubkey(), &blob, &attacker_tokens, PRICE, 1_000),
        ],
        &[&attacker],
    )
    .await?;
    assert!(!net.account::<Blob>(&blob).await?.active, "nobody accepted");

    // Another provider cannot accept for the holder.
    assert_basalt_err(
        net.send(
            &[ix::shard_accept(
                &keys[1],
                &blob,
                0,
                &terms(unbacked[0], 20),
            )],
            &[&victims[1].0],
        )
        .await,
        BasaltError::NotShardHolder,
    );
    // The attacker's accomplices accept every other index (they sign for their own): the
    // victim at index 0 still owes nothing, and the blob never becomes active.
    for (index, (accomplice, _)) in (1u16..).zip(&victims[1..]) {
        net.send(
            &[ix::shard_accept(
                &accomplice.pubkey(),
                &blob,
                index,
                &terms(unbacked[usize::from(index)], 20),
            )],
            &[accomplice],
        )
        .await?;
    }
    assert!(!net.account::<Blob>(&blob).await?.active);
    net.warp_epoch(1, PROOF_WINDOW + 1).await?;
    for (index, victim) in (0u16..).zip(&keys) {
        let slash = ix::proof_slash(
            &attacker.pubkey(),
            &blob,
            victim,
            &attacker_tokens,
            index,
            1,
        );
        assert_basalt_err(
            net.send(&[slash], &[&attacker]).await,
            BasaltError::BlobNotActive,
        );
        let p: Provider = net.account(&pda::provider(victim)).await?;
        assert_eq!(
            (p.stake, p.status),
            (MIN_STAKE * 10, ProviderStatus::Active)
        );
    }
    assert_eq!(net.balance(&attacker_tokens).await?, 0);

    // The offers lapse after their window; a late acceptance is refused.
    // Placed at slot 1 or so: lapsed at epoch 2 (slot 200), beyond ACCEPT_WINDOW.
    net.warp_epoch(2, 0).await?;
    assert_basalt_err(
        net.send(
            &[ix::shard_accept(
                &keys[0],
                &blob,
                0,
                &terms(unbacked[0], 20),
            )],
            &[&victims[0].0],
        )
        .await,
        BasaltError::AcceptanceLapsed,
    );
    Ok(())
}
