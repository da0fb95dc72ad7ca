use basalt_core::encoder::{encode_blob, BlobManifest};
use basalt_proof::derive_challenge;
use basalt_rules::REPAIR_CREDIT_EPOCHS;
use near_sdk::json_types::{Base64VecU8, U128};

use super::*;
use crate::methods::BlobRegisterArgs;
use crate::state::{
    Blob, BlobState, Digest, ProviderStatus, ReadAccess, TokenGate, ROLE_ADMIN, ROLE_DELETE,
    ROLE_READ, ROLE_STORAGE, ROLE_WRITE,
};

const K: u16 = 4;
const M: u16 = 2;

/// A blob encoded for real, with every shard kept: `shards[chunk][index]`.
struct Encoded {
    manifest: BlobManifest,
    shards: Vec<Vec<Vec<u8>>>,
}

fn encode(len: usize) -> Encoded {
    let mut data = vec![0u8; len];
    blake3::Hasher::new()
        .update(b"near")
        .finalize_xof()
        .fill(&mut data);
    let mut shards = Vec::new();
    let manifest = encode_blob(&data, 16 << 10, K, M, None, |chunk| {
        shards.push(chunk.shards().map(<[u8]>::to_vec).collect());
    })
    .expect("encode");
    Encoded { manifest, shards }
}

impl Encoded {
    fn cid(&self) -> Digest {
        Digest::from(*self.manifest.cid.digest())
    }

    /// The id of `owner`'s blob of this content.
    fn id(&self, owner: &str) -> Digest {
        Blob::id_of(&account(owner), self.cid())
    }

    fn args(&self, expiry_epoch: u64) -> BlobRegisterArgs {
        let layout = self.manifest.layout();
        BlobRegisterArgs {
            cid_digest: self.cid(),
            size: layout.size(),
            chunk_size: layout.chunk_size(),
            leaf_size: layout.leaf_size(),
            k: layout.k(),
            m: layout.m(),
            commitment_root: Digest::from(self.manifest.commitment.commitment_root()),
            expiry_epoch,
            public: false,
            encrypted: false,
        }
    }

    fn roots(&self) -> Vec<Digest> {
        let roots = self.manifest.commitment.column_roots();
        roots.iter().map(|r| Digest::from(*r)).collect()
    }

    /// The proof of shard `index` for `epoch` under `seed`, built from the data of shard
    /// `data_of` (a cheater answers with another shard's data).
    fn proof(
        &self,
        seed: [u8; 32],
        index: u16,
        epoch: u64,
        data_of: u16,
    ) -> (Base64VecU8, Vec<Digest>) {
        let commitment = &self.manifest.commitment;
        let challenge = derive_challenge(
            &seed,
            &commitment.commitment_root(),
            index,
            epoch,
            commitment.layout(),
        )
        .expect("non-empty");
        let shard = &self.shards[challenge.chunk as usize][usize::from(data_of)];
        let proof = commitment
            .storage_proof(shard, challenge.chunk, data_of, challenge.leaf)
            .expect("proof");
        (
            Base64VecU8(proof.leaf),
            proof.path.into_iter().map(Digest::from).collect(),
        )
    }
}

const HOLDERS: [&str; 6] = ["h0", "h1", "h2", "h3", "h4", "h5"];

fn holders() -> Vec<AccountId> {
    HOLDERS.iter().map(|h| account(h)).collect()
}

/// Registers the blob as `owner` on six staked holders and places it; returns it.
/// A blob registered (expiring at epoch 50) with its holders staked, not yet placed.
fn registered(chain: &mut Chain) -> Encoded {
    let e = encode(100_000);
    for h in HOLDERS {
        chain.provider(h, ROLE_STORAGE, 2_000);
    }
    chain
        .paying("owner")
        .blob_register(e.args(EXPIRY))
        .expect("register");
    e
}

/// [`registered`], then placed on its holders: offers nobody accepted yet.
fn placed(chain: &mut Chain) -> Encoded {
    let e = registered(chain);
    chain
        .paying("owner")
        .blob_place(e.id("owner"), 0, holders(), e.roots())
        .expect("place");
    e
}

/// The owner opens `e`'s deal at [`PRICE`] per shard-epoch with `escrow`.
fn fund(chain: &mut Chain, e: &Encoded, escrow: u128) -> Result<u128, BasaltError> {
    let id = e.id("owner");
    let msg =
        format!(r#"{{"action":"deal_fund","blob_id":"{id}","price_per_shard_epoch":"{PRICE}"}}"#);
    chain.transfer("owner", escrow, &msg)
}

/// What every holder of a test blob accepts: its expiry (epoch 50) and [`PRICE`].
const EXPIRY: u64 = 50;
const PRICE: u128 = 10;

/// Holder `holder` accepts shard `index` of `e` on the blob's terms.
fn accept(chain: &mut Chain, e: &Encoded, holder: &str, index: u16) -> Result<(), BasaltError> {
    chain.by(holder).shard_accept(
        e.id("owner"),
        index,
        e.roots()[usize::from(index)],
        EXPIRY,
        U128(PRICE),
    )
}

/// [`placed`], with a deal holding `escrow`, and every holder accepted its shard.
fn stored(chain: &mut Chain, escrow: u128) -> Encoded {
    let e = placed(chain);
    fund(chain, &e, escrow).expect("fund");
    for (index, holder) in (0u16..).zip(HOLDERS) {
        accept(chain, &e, holder, index).expect("accept");
    }
    e
}

#[test]
fn register_rejects_bad_layouts_expiry_and_duplicates() {
    let mut chain = Chain::new();
    let e = encode(50_000);
    let mut args = e.args(5);
    args.k = 0;
    assert_eq!(
        chain.paying("o").blob_register(args),
        Err(BasaltError::InvalidLayout)
    );
    let mut args = e.args(5);
    args.k = 60;
    args.m = 5;
    assert_eq!(
        chain.paying("o").blob_register(args),
        Err(BasaltError::TooManyShards)
    );
    chain.at_epoch(5, 1);
    assert_eq!(
        chain.paying("o").blob_register(e.args(5)),
        Err(BasaltError::InvalidExpiry)
    );
    chain.paying("o").blob_register(e.args(6)).unwrap();
    assert_eq!(event_names(), ["blob_registered"]);
    assert_eq!(
        chain.paying("o").blob_register(e.args(6)),
        Err(BasaltError::BlobExists)
    );
    let blob = chain.by("o").blob_get(e.id("o")).unwrap();
    assert_eq!(
        (blob.active, blob.shards.len(), blob.chunk_count),
        (false, 6, 4)
    );
    // Issue 42, finding 3: registering a digest first blocks nobody. Another account's
    // registration of the same content is another blob, under another id, and leaves the
    // first one untouched.
    assert_eq!(
        chain.paying("mallory").blob_register(e.args(6)),
        Ok(e.id("mallory"))
    );
    assert_ne!(e.id("mallory"), e.id("o"));
    assert_eq!(
        chain.by("x").blob_get(e.id("mallory")).unwrap().owner,
        account("mallory")
    );
    assert_eq!(
        chain.by("x").blob_get(e.id("o")).unwrap().owner,
        account("o")
    );
}

#[test]
fn placing_checks_signer_providers_and_the_commitment() {
    let mut chain = Chain::new();
    let e = encode(100_000);
    for h in HOLDERS {
        chain.provider(h, ROLE_STORAGE, 2_000);
    }
    chain.provider("poor", ROLE_STORAGE, 10);
    chain.paying("owner").blob_register(e.args(50)).unwrap();
    let roots = e.roots();
    assert_eq!(
        chain
            .paying("mallory")
            .blob_place(e.id("owner"), 0, holders(), roots.clone()),
        Err(BasaltError::Unauthorized)
    );
    assert_eq!(
        chain.paying("owner").blob_place(
            e.id("owner"),
            0,
            vec![account("poor")],
            roots[..1].to_vec()
        ),
        Err(BasaltError::ProviderNotEligible)
    );
    assert_eq!(
        chain.paying("owner").blob_place(
            e.id("owner"),
            0,
            vec![account("h0"), account("h0")],
            roots[..2].to_vec()
        ),
        Err(BasaltError::DuplicateProvider)
    );
    assert_eq!(
        chain.paying("owner").blob_place(
            e.id("owner"),
            5,
            holders()[..2].to_vec(),
            roots[..2].to_vec()
        ),
        Err(BasaltError::ShardOutOfRange)
    );
    let mut swapped = roots.clone();
    swapped.swap(0, 1);
    assert_eq!(
        chain
            .paying("owner")
            .blob_place(e.id("owner"), 0, holders(), swapped),
        Err(BasaltError::CommitmentMismatch)
    );
    // A WRITE grantee may place, in two calls; the holders' acceptances activate the blob.
    chain
        .paying("owner")
        .grant_create(
            e.id("owner"),
            account("writer"),
            ROLE_WRITE,
            None,
            Base64VecU8(vec![]),
        )
        .unwrap();
    chain
        .paying("writer")
        .blob_place(
            e.id("owner"),
            0,
            holders()[..3].to_vec(),
            roots[..3].to_vec(),
        )
        .unwrap();
    assert_eq!(event_names(), ["shard_placed"; 3]);
    chain
        .paying("writer")
        .blob_place(
            e.id("owner"),
            3,
            holders()[3..].to_vec(),
            roots[3..].to_vec(),
        )
        .unwrap();
    assert_eq!(event_names(), ["shard_placed"; 3]);
    assert!(
        !chain.by("x").blob_get(e.id("owner")).unwrap().active,
        "nobody accepted yet"
    );
    fund(&mut chain, &e, 100).expect("fund");
    for (index, holder) in (0u16..).zip(HOLDERS) {
        accept(&mut chain, &e, holder, index).expect("accept");
        let last = usize::from(index) + 1 == HOLDERS.len();
        let expected: &[&str] = if last {
            &["shard_accepted", "blob_activated"]
        } else {
            &["shard_accepted"]
        };
        assert_eq!(event_names(), expected);
    }
    let blob = chain.by("x").blob_get(e.id("owner")).unwrap();
    assert!(blob.active);
    assert!(blob.shards.iter().all(|s| s.assigned_epoch == 1));
    // Once active, a healthy shard does not move.
    assert_eq!(
        chain.paying("owner").blob_place(
            e.id("owner"),
            0,
            vec![account("h0")],
            roots[..1].to_vec()
        ),
        Err(BasaltError::ShardNotRepairable)
    );
}

#[test]
fn grants_decide_who_reads_and_their_storage_goes_back_to_the_payer() {
    let mut chain = Chain::new();
    let e = stored(&mut chain, 100);
    let id = e.id("owner");
    assert!(chain.by("x").can_read(id, account("owner")));
    assert!(!chain.by("x").can_read(id, account("reader")));
    assert_eq!(
        chain.paying("mallory").grant_create(
            id,
            account("mallory"),
            ROLE_READ,
            None,
            Base64VecU8(vec![])
        ),
        Err(BasaltError::Unauthorized)
    );
    assert_eq!(
        chain
            .paying("owner")
            .grant_create(id, account("reader"), 8, None, Base64VecU8(vec![])),
        Err(BasaltError::InvalidGrantRoles)
    );
    assert_eq!(
        chain.paying("owner").grant_create(
            id,
            account("reader"),
            ROLE_READ,
            None,
            Base64VecU8(vec![0; 129])
        ),
        Err(BasaltError::WrappedKeyTooLong)
    );
    chain.height = 1_000;
    assert_eq!(
        chain.paying("owner").grant_create(
            id,
            account("reader"),
            ROLE_READ,
            Some(1_000),
            Base64VecU8(vec![])
        ),
        Err(BasaltError::InvalidGrantExpiry)
    );
    let before = chain.storage("owner");
    chain
        .by("owner")
        .grant_create(
            id,
            account("reader"),
            ROLE_READ,
            Some(1_010),
            Base64VecU8(vec![7; 80]),
        )
        .unwrap();
    let after_grant = chain.storage("owner");
    assert!(after_grant < before);
    assert!(chain.by("x").can_read(id, account("reader")));
    // Expired grants do not count.
    chain.height = 1_010;
    assert!(!chain.by("x").can_read(id, account("reader")));
    chain.height = 1_000;
    // An ADMIN grantee may grant and revoke; a READ grantee may not.
    chain
        .paying("owner")
        .grant_create(
            id,
            account("admin-g"),
            ROLE_ADMIN,
            None,
            Base64VecU8(vec![]),
        )
        .unwrap();
    assert_eq!(
        chain.by("reader").grant_revoke(id, account("admin-g")),
        Err(BasaltError::Unauthorized)
    );
    let owner_before_revoke = chain.storage("owner");
    chain
        .by("admin-g")
        .grant_revoke(id, account("reader"))
        .unwrap();
    assert_eq!(event_names(), ["grant_revoked"]);
    // The owner paid for the reader's grant, so the owner gets its storage back.
    let owner_after_revoke = chain.storage("owner");
    assert_eq!(
        owner_after_revoke - owner_before_revoke,
        before - after_grant
    );
    assert!(!chain.by("x").can_read(id, account("reader")));
    assert_eq!(
        chain.by("owner").grant_revoke(id, account("reader")),
        Err(BasaltError::GrantNotFound)
    );
    // A grantee may renounce its own grant.
    chain
        .by("admin-g")
        .grant_revoke(id, account("admin-g"))
        .unwrap();
}

#[test]
fn proofs_are_checked_against_the_drawn_seed_and_paid_once() {
    let mut chain = Chain::new();
    let e = placed(&mut chain);
    let id = e.id("owner");
    assert_eq!(
        chain.transfer(
            "owner",
            100,
            &format!(r#"{{"action":"deal_fund","blob_id":"{id}","price_per_shard_epoch":"0"}}"#)
        ),
        Err(BasaltError::ZeroPrice)
    );
    assert_eq!(
        chain.transfer(
            "owner",
            100,
            &format!(r#"{{"action":"deal_fund","blob_id":"{id}","price_per_shard_epoch":"10"}}"#)
        ),
        Ok(0)
    );
    for (index, holder) in (0u16..).zip(HOLDERS) {
        accept(&mut chain, &e, holder, index).expect("accept");
    }
    // Epoch 1, inside the window.
    chain.at_epoch(1, 10);
    let (leaf, path) = e.proof(chain.seed, 2, 1, 2);
    assert_eq!(
        chain
            .by("h2")
            .proof_submit(id, 2, 1, leaf.clone(), path.clone()),
        Err(BasaltError::SeedUnavailable)
    );
    let seed: [u8; 32] = chain.by("h0").challenge_seed_draw().unwrap().into();
    assert_eq!(seed, chain.seed);
    assert_eq!(event_names(), ["challenge_seed_drawn"]);
    assert_eq!(
        chain
            .by("h1")
            .proof_submit(id, 2, 1, leaf.clone(), path.clone()),
        Err(BasaltError::NotShardHolder)
    );
    assert_eq!(
        chain
            .by("h2")
            .proof_submit(id, 2, 2, leaf.clone(), path.clone()),
        Err(BasaltError::WrongEpoch)
    );
    // A holder answering with another shard's data is caught.
    let (bad_leaf, bad_path) = e.proof(seed, 2, 1, 3);
    assert_eq!(
        chain.by("h2").proof_submit(id, 2, 1, bad_leaf, bad_path),
        Err(BasaltError::InvalidProof)
    );
    chain
        .by("h2")
        .proof_submit(id, 2, 1, leaf.clone(), path.clone())
        .unwrap();
    assert_eq!(event_names(), ["proof_accepted"]);
    assert_eq!(
        chain.by("h2").proof_submit(id, 2, 1, leaf, path),
        Err(BasaltError::AlreadyProven)
    );
    // Outside the window nothing is accepted.
    chain.at_epoch(1, PROOF_WINDOW + 1);
    let (leaf, path) = e.proof(seed, 3, 1, 3);
    assert_eq!(
        chain.by("h3").proof_submit(id, 3, 1, leaf, path),
        Err(BasaltError::OutsideProofWindow)
    );
    // Settling pays the proven epoch once.
    assert_eq!(chain.by("anyone").deal_settle(id, 2), Ok(U128(10)));
    assert_eq!(chain.tokens("h2"), 10);
    assert_eq!(chain.by("anyone").deal_settle(id, 2), Ok(U128(0)));
    let deal = chain.by("x").deal_get(id).unwrap();
    assert_eq!((deal.balance, deal.total_paid), (90, 10));
}

#[test]
fn a_missed_proof_is_slashed_once_with_a_bounty_and_jails_the_holder() {
    let mut chain = Chain::new();
    // A miss is slashable only while the deal pays for the shard.
    let e = stored(&mut chain, 100);
    let id = e.id("owner");
    chain.at_epoch(1, 10);
    chain.by("h0").challenge_seed_draw().unwrap();
    let (leaf, path) = e.proof(chain.seed, 0, 1, 0);
    chain.by("h0").proof_submit(id, 0, 1, leaf, path).unwrap();
    assert_eq!(
        chain.paying("cranker").proof_slash(id, 1, 1),
        Err(BasaltError::DeadlineNotPassed)
    );
    chain.at_epoch(1, PROOF_WINDOW + 1);
    assert_eq!(
        chain.paying("cranker").proof_slash(id, 0, 1),
        Err(BasaltError::EpochWasProven)
    );
    assert_eq!(
        chain.paying("cranker").proof_slash(id, 1, 0),
        Err(BasaltError::EpochBeforeAssignment)
    );
    // 10 % of 2000 = 200: 40 to the cranker, 160 to the treasury.
    assert_eq!(chain.paying("cranker").proof_slash(id, 1, 1), Ok(U128(200)));
    assert_eq!(event_names(), ["provider_slashed", "proof_missed"]);
    assert_eq!(chain.tokens("cranker"), 40);
    let books = chain.by("x").books();
    assert_eq!((books.treasury, books.stake), (160, 6 * 2_000 - 200));
    let h1 = chain.by("x").provider_get(account("h1")).unwrap();
    assert_eq!(
        (h1.stake, h1.status, h1.jailed_until_epoch, h1.reputation),
        (1_800, ProviderStatus::Jailed, 2, -1)
    );
    assert_eq!(
        chain.paying("cranker").proof_slash(id, 1, 1),
        Err(BasaltError::ShardNeedsRepair)
    );
    // Unjail after the term, with the stake back above the minimum.
    chain.at_epoch(2, 50);
    assert_eq!(
        chain.by("h1").provider_unjail(),
        Err(BasaltError::CannotUnjail)
    );
    chain.at_epoch(3, 0);
    chain.by("h1").provider_unjail().unwrap();
    // The repaired shard moves to a new holder with the same column root.
    chain.provider("spare", ROLE_STORAGE, 2_000);
    let root = e.roots()[1];
    chain
        .paying("owner")
        .blob_place(id, 1, vec![account("spare")], vec![root])
        .unwrap();
    let blob = chain.by("x").blob_get(id).unwrap();
    assert_eq!(blob.shards[1].provider, Some(account("spare")));
    assert!(!blob.shards[1].needs_repair);
}

#[test]
fn a_silent_holder_loses_its_shards_to_repair_pays_the_repair_and_keeps_its_pay() {
    let mut chain = Chain::new();
    // Every holder registered (a heartbeat, too) at block 1.
    let e = stored(&mut chain, 100);
    let id = e.id("owner");
    chain.at_epoch(1, 10);
    chain.by("h0").challenge_seed_draw().unwrap();
    let (leaf, path) = e.proof(chain.seed, 0, 1, 0);
    chain.by("h0").proof_submit(id, 0, 1, leaf, path).unwrap();
    chain.by("h1").provider_heartbeat().unwrap();

    // Block 151: h0 has been silent for exactly OFFLINE_TICKS, not more.
    chain.height = 1 + OFFLINE_TICKS;
    assert_eq!(
        chain.by("cranker").shard_evict(id, 0),
        Err(BasaltError::HolderNotOffline)
    );
    chain.height += 1;
    assert_eq!(
        chain.by("cranker").shard_evict(id, 1),
        Err(BasaltError::HolderNotOffline),
        "h1 heartbeated at block 110"
    );
    assert_eq!(
        chain.by("cranker").shard_evict(id, 6),
        Err(BasaltError::ShardOutOfRange)
    );
    assert_eq!(
        chain.by("cranker").shard_evict(id, 2),
        Err(BasaltError::MissedProofPending),
        "h2 is silent too, but missed epoch 1: a slash, not an eviction"
    );
    let before = chain.by("x").provider_get(account("h0")).unwrap();
    let deal_before = chain.by("x").deal_get(id).unwrap().balance;
    let books_before = chain.by("x").books();
    chain.by("cranker").shard_evict(id, 0).unwrap();
    assert_eq!(event_names(), ["shard_evicted"]);
    let h0 = chain.by("x").provider_get(account("h0")).unwrap();
    let charge = u128::from(REPAIR_CREDIT_EPOCHS) * PRICE;
    assert_eq!(
        (h0.stake, h0.status, h0.reputation),
        (
            before.stake - charge,
            ProviderStatus::Active,
            before.reputation
        ),
        "silence costs the shard and its repair, not freedom or reputation"
    );
    assert_eq!(
        chain.by("x").deal_get(id).unwrap().balance,
        deal_before + charge,
        "the charge pays the repair credit the deal owes"
    );
    let books = chain.by("x").books();
    assert_eq!(
        (books.stake, books.escrow),
        (books_before.stake - charge, books_before.escrow + charge)
    );
    assert_eq!(h0.open_obligations, before.open_obligations - 1);
    let slot = chain.by("x").blob_get(id).unwrap().shards[0].clone();
    assert!(slot.needs_repair && !slot.accepted);
    assert_eq!(slot.unpaid_epochs, 1, "the proven epoch stays h0's");
    assert_eq!(
        chain.by("cranker").shard_evict(id, 0),
        Err(BasaltError::ShardNeedsRepair),
        "evicted once"
    );

    // Paid before the index moves, then placed anew on the same column.
    chain.provider("spare", ROLE_STORAGE, 2_000);
    let root = e.roots()[0];
    assert_eq!(
        chain
            .paying("anyone")
            .blob_place(id, 0, vec![account("spare")], vec![root]),
        Err(BasaltError::UnsettledPayouts)
    );
    assert_eq!(chain.by("anyone").deal_settle(id, 0), Ok(U128(PRICE)));
    assert_eq!(chain.tokens("h0"), PRICE);
    chain
        .paying("anyone")
        .blob_place(id, 0, vec![account("spare")], vec![root])
        .unwrap();

    // Nothing is left to evict once the blob expired.
    chain.at_epoch(EXPIRY, 0);
    assert_eq!(
        chain.by("cranker").shard_evict(id, 2),
        Err(BasaltError::BlobExpired)
    );
}

#[test]
fn a_blob_is_deleted_with_all_its_grants_or_not_at_all() {
    let mut chain = Chain::new();
    let e = registered(&mut chain);
    let id = e.id("owner");
    for (who, roles) in [("reader", ROLE_READ), ("deleter", ROLE_DELETE)] {
        chain
            .paying("owner")
            .grant_create(id, account(who), roles, None, Base64VecU8(vec![]))
            .unwrap();
    }
    assert_eq!(chain.by("x").blob_get(id).unwrap().grant_count, 2);
    assert_eq!(
        chain
            .by("deleter")
            .blob_delete(id, Some(vec![account("deleter")])),
        Err(BasaltError::GrantsOpen),
        "the reader's grant would outlive the blob"
    );
    assert_eq!(
        chain.by("deleter").blob_delete(
            id,
            Some(vec![
                account("deleter"),
                account("deleter"),
                account("reader")
            ])
        ),
        Err(BasaltError::GrantNotFound),
        "a grant counted twice"
    );
    let owner_storage = chain.storage("owner");
    chain
        .by("deleter")
        .blob_delete(id, Some(vec![account("reader"), account("deleter")]))
        .unwrap();
    assert!(chain.by("x").grant_get(id, account("reader")).is_none());
    assert!(chain.by("x").grant_get(id, account("deleter")).is_none());
    assert!(
        chain.storage("owner") > owner_storage,
        "the grants' and the blob's storage went back to the owner"
    );

    // The same content registered again, by its owner or someone else: the old grantees
    // have no rights on either.
    for owner in ["owner", "owner2"] {
        chain
            .paying(owner)
            .blob_register(e.args(EXPIRY))
            .expect("register again");
        assert_eq!(
            chain.by("deleter").blob_delete(e.id(owner), None),
            Err(BasaltError::Unauthorized)
        );
    }
}

#[test]
fn refunds_wait_for_settlement_and_deletion_returns_storage() {
    let mut chain = Chain::new();
    let e = stored(&mut chain, 25);
    let id = e.id("owner");
    assert_eq!(fund(&mut chain, &e, 25), Err(BasaltError::DealExists));
    // Only the owner or a WRITE grantee tops up (issue 42, finding 3).
    let top_up = format!(r#"{{"action":"deal_top_up","blob_id":"{id}"}}"#);
    assert_eq!(
        chain.transfer("friend", 5, &top_up),
        Err(BasaltError::Unauthorized)
    );
    chain
        .paying("owner")
        .grant_create(id, account("friend"), ROLE_READ, None, Base64VecU8(vec![]))
        .unwrap();
    assert_eq!(
        chain.transfer("friend", 5, &top_up),
        Err(BasaltError::Unauthorized)
    );
    chain
        .by("owner")
        .grant_revoke(id, account("friend"))
        .unwrap();
    chain
        .paying("owner")
        .grant_create(id, account("friend"), ROLE_WRITE, None, Base64VecU8(vec![]))
        .unwrap();
    assert_eq!(chain.transfer("friend", 5, &top_up), Ok(0));
    chain
        .by("owner")
        .grant_revoke(id, account("friend"))
        .unwrap();
    // Three proven epochs by h0, 30 in escrow: 3 paid; then one more, owed until a top-up.
    for epoch in 1..=4 {
        chain.at_epoch(epoch, 1);
        chain.seed = [epoch as u8; 32];
        chain.by("h0").challenge_seed_draw().unwrap();
        let (leaf, path) = e.proof(chain.seed, 0, epoch, 0);
        chain
            .by("h0")
            .proof_submit(id, 0, epoch, leaf, path)
            .unwrap();
        if epoch == 3 {
            assert_eq!(chain.by("x").deal_settle(id, 0), Ok(U128(30)));
        }
    }
    assert_eq!(
        chain.by("mallory").deal_refund(id),
        Err(BasaltError::Unauthorized)
    );
    assert_eq!(
        chain.by("owner").deal_refund(id),
        Err(BasaltError::UnsettledPayouts)
    );
    assert_eq!(chain.by("x").deal_settle(id, 0), Ok(U128(0)));
    assert_eq!(
        chain.by("owner").blob_delete(id, None),
        Err(BasaltError::UnsettledPayouts)
    );
    // Issue 42, finding 8: the unpaid epoch stays owed; the refund waits for it, and a
    // top-up pays it.
    assert_eq!(
        chain.by("owner").deal_refund(id),
        Err(BasaltError::UnsettledPayouts)
    );
    assert_eq!(
        chain.transfer(
            "owner",
            10,
            &format!(r#"{{"action":"deal_top_up","blob_id":"{id}"}}"#)
        ),
        Ok(0)
    );
    assert_eq!(chain.by("x").deal_settle(id, 0), Ok(U128(10)));
    assert_eq!(chain.by("owner").deal_refund(id), Ok(U128(0)));
    assert_eq!(chain.by("x").books().escrow, 0);
    let before = chain.storage("owner");
    assert_eq!(
        chain.by("mallory").blob_delete(id, None),
        Err(BasaltError::Unauthorized)
    );
    let obligations = |chain: &mut Chain, holder: &str| {
        chain
            .by("x")
            .provider_get(account(holder))
            .expect("registered")
            .open_obligations
    };
    assert_eq!(obligations(&mut chain, "h0"), 1, "h0 accepted shard 0");
    chain.by("owner").blob_delete(id, None).unwrap();
    assert_eq!(event_names(), ["blob_deleted"]);
    assert_eq!(
        obligations(&mut chain, "h0"),
        0,
        "the obligation ended with the blob"
    );
    let after = chain.storage("owner");
    let freed_bytes = (after - before) / near_sdk::env::storage_byte_cost().as_yoctonear();
    assert!(
        freed_bytes > 500,
        "a six-shard blob record frees {freed_bytes} bytes"
    );
    assert!(chain.by("x").blob_get(id).is_none());
}

#[test]
fn the_views_a_node_asks_follow_the_read_rules() {
    let mut chain = Chain::new();
    let id = encode(100_000).id("owner");
    let reader = || account("reader");
    assert_eq!(
        chain.by("x").read_access(id, reader()),
        ReadAccess::DenyUnregistered
    );
    assert_eq!(chain.by("x").blob_state(id), BlobState::Unregistered);
    assert_eq!(
        chain.by("x").may_act(id, account("owner"), ROLE_DELETE),
        None
    );
    let e = registered(&mut chain);
    assert_eq!(e.id("owner"), id);
    // Registered but not placed: live for GC, not yet readable by anyone.
    assert_eq!(chain.by("x").blob_state(id), BlobState::Live);
    assert_eq!(
        chain.by("x").read_access(id, account("owner")),
        ReadAccess::DenyInactive
    );
    chain
        .paying("owner")
        .blob_place(e.id("owner"), 0, holders(), e.roots())
        .expect("place");
    assert_eq!(
        chain.by("x").read_access(id, account("owner")),
        ReadAccess::Owner
    );
    assert_eq!(chain.by("x").read_access(id, reader()), ReadAccess::Deny);
    assert_eq!(
        chain.by("x").may_act(id, account("owner"), ROLE_DELETE),
        Some(true)
    );
    assert_eq!(
        chain.by("x").may_act(id, reader(), ROLE_DELETE),
        Some(false)
    );

    // A token gate is handed back to the caller, after the grant rule.
    let gate = TokenGate {
        token: account("gate-token"),
        min_balance: 5,
    };
    chain
        .paying("owner")
        .blob_set_access(id, false, Some(gate.clone()))
        .expect("gate");
    assert_eq!(
        chain.by("x").read_access(id, reader()),
        ReadAccess::Gated(gate)
    );
    assert!(!chain.by("x").can_read(id, reader()));
    chain
        .paying("owner")
        .grant_create(
            id,
            reader(),
            ROLE_READ | ROLE_DELETE,
            Some(2_000),
            Base64VecU8(vec![]),
        )
        .expect("grant");
    assert_eq!(chain.by("x").read_access(id, reader()), ReadAccess::Grant);
    assert_eq!(chain.by("x").may_act(id, reader(), ROLE_DELETE), Some(true));
    // An expired grant neither reads nor deletes.
    chain.height = 2_000;
    assert!(matches!(
        chain.by("x").read_access(id, reader()),
        ReadAccess::Gated(_)
    ));
    assert_eq!(
        chain.by("x").may_act(id, reader(), ROLE_DELETE),
        Some(false)
    );
    chain.height = 1;
    chain
        .paying("owner")
        .blob_set_access(id, true, None)
        .expect("public");
    assert_eq!(
        chain.by("x").read_access(id, account("anyone")),
        ReadAccess::Public
    );
    // Expiry at epoch 50 ends reads and makes the blob collectable.
    chain.at_epoch(50, 0);
    assert_eq!(
        chain.by("x").read_access(id, account("owner")),
        ReadAccess::DenyExpired
    );
    assert_eq!(chain.by("x").blob_state(id), BlobState::Expired);
}
