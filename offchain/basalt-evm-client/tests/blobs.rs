//! Storage on the EVM where it could drift from the Rust every other chain runs: the
//! layouts, challenges and commitment roots of `basalt-proof` against the Solidity port on
//! the same inputs; the read rule with what only the EVM has (a token gate that is any
//! contract, grant expiry in block time); deletion with the grants it names; and who may
//! place, fund and accept. The protocol's behaviour over whole stories is the shared
//! scenarios' (`app-tests/scenarios/tests/evm.rs`).

use alloy::primitives::{Address, B256, U256};
use alloy::sol_types::SolCall;
use anyhow::Result;
use basalt_evm_client::BasaltBlobs::{self, BasaltBlobsErrors};
use basalt_proof::BlobLayout;

use crate::deployment::{
    deploy, fund, register_staked, Deployment, EPOCH_BLOCKS, MIN_STAKE, NODE, STRANGER,
};

const OWNER: Address = Address::repeat_byte(0x0e);
const READER: Address = Address::repeat_byte(0x4e);

/// `ReadDecision` values (the ABI carries the enum as a uint8).
const OWNER_READS: u8 = 0;
const GRANT_READS: u8 = 2;
const GATE_READS: u8 = 3;
const DENY_INACTIVE: u8 = 5;
const DENY_EXPIRED: u8 = 6;
const DENY: u8 = 7;

fn refusal<C: SolCall>(d: &mut Deployment, who: Address, call: &C) -> Result<String> {
    let to = d.blobs;
    crate::deployment::refusal::<C, BasaltBlobsErrors>(d, who, to, call)
}

fn args(root: B256, k: u16, m: u16, expiry_epoch: u64) -> BasaltBlobs::BlobArgs {
    BasaltBlobs::BlobArgs {
        cidDigest: B256::repeat_byte(0xc1),
        size: 100_000,
        chunkSize: 16 << 10,
        leafSize: 256,
        k,
        m,
        commitmentRoot: root,
        expiryEpoch: expiry_epoch,
        isPublic: false,
        encrypted: false,
    }
}

/// `n` staked storage providers.
fn providers(d: &mut Deployment, n: usize) -> Result<Vec<Address>> {
    (0..n)
        .map(|i| {
            let who = Address::left_padding_from(&[0x9a, i as u8]);
            fund(d, who)?;
            register_staked(d, who, MIN_STAKE as u64)?;
            Ok(who)
        })
        .collect()
}

/// Pseudo-random 32-byte values, the same on every run.
fn hashes(n: usize, salt: u8) -> Vec<[u8; 32]> {
    (0..n)
        .map(|i| *alloy::primitives::keccak256([salt, i as u8]))
        .collect()
}

fn register(d: &mut Deployment, owner: Address, args: BasaltBlobs::BlobArgs) -> Result<B256> {
    let (id, _) = d
        .evm
        .ok(owner, d.blobs, &BasaltBlobs::registerCall { args })?;
    Ok(id)
}

/// A k = 1, m = 1 blob of `OWNER`, placed on two providers: readable, not yet active.
fn placed_blob(d: &mut Deployment) -> Result<B256> {
    let holders = providers(d, 2)?;
    let roots = hashes(2, 7);
    let root = basalt_proof::commitment_root(&roots);
    let id = register(d, OWNER, args(root.into(), 1, 1, 5))?;
    let place = BasaltBlobs::placeCall {
        id,
        first: 0,
        holders,
        columnRoots: roots.into_iter().map(B256::from).collect(),
    };
    d.evm.ok(OWNER, d.blobs, &place)?;
    Ok(id)
}

fn decision(d: &mut Deployment, id: B256, reader: Address) -> Result<u8> {
    let call = BasaltBlobs::readDecisionCall { id, reader };
    Ok(d.evm.ok(reader, d.blobs, &call)?.0)
}

#[test]
fn layouts_are_accepted_exactly_as_basalt_proof_accepts_them() -> Result<()> {
    let mut d = deploy()?;
    let mut accepted = 0;
    for size in [0, 1, 1_000, 4 << 20, 16 << 30, (16 << 30) + 1, 1 << 50] {
        for chunk_size in [0, 1, 1_000, 4 << 20, 256 << 20, (256 << 20) + 1] {
            for (k, m) in [(0, 1), (1, 0), (1, 1), (10, 4), (60, 4), (61, 4)] {
                for leaf_size in [32, 64, 96, 256, 4096, 8192] {
                    let rust = BlobLayout::with_leaf_size(size, chunk_size, k, m, leaf_size)
                        .ok()
                        .filter(|_| usize::from(k + m) <= basalt_rules::MAX_BLOB_SHARDS);
                    let call = BasaltBlobs::checkLayoutCall {
                        size,
                        chunkSize: chunk_size,
                        k,
                        m,
                        leafSize: leaf_size,
                    };
                    let evm = d.evm.ok(STRANGER, d.blobs, &call)?.0;
                    let case = (size, chunk_size, k, m, leaf_size);
                    assert_eq!(evm.ok, rust.is_some(), "{case:?}");
                    if let Some(layout) = rust {
                        assert_eq!(evm.chunkCount, layout.chunk_count(), "{case:?}");
                        accepted += 1;
                    }
                }
            }
        }
    }
    assert!(
        accepted > 100,
        "the grid must hold accepted layouts too ({accepted})"
    );
    Ok(())
}

#[test]
fn challenges_are_basalt_proofs_for_every_index_and_epoch() -> Result<()> {
    let mut d = deploy()?;
    for (n, (size, chunk_size, k, m, leaf_size)) in [
        (100_000u64, 16u32 << 10, 4u16, 2u16, 256u32),
        (1, 4 << 20, 10, 4, 64),
        (50 << 20, 4 << 20, 3, 2, 256),
    ]
    .into_iter()
    .enumerate()
    {
        let root = B256::from(hashes(1, n as u8)[0]);
        let mut blob = args(root, k, m, 100);
        (blob.size, blob.chunkSize, blob.leafSize) = (size, chunk_size, leaf_size);
        blob.cidDigest = B256::repeat_byte(n as u8);
        let id = register(&mut d, OWNER, blob)?;
        let layout = BlobLayout::with_leaf_size(size, chunk_size, k, m, leaf_size)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        for epoch in [1, 2, 7] {
            d.evm.set_block(epoch * EPOCH_BLOCKS + 1);
            let seed = d.evm.block_hash(epoch * EPOCH_BLOCKS)?;
            for index in 0..k + m {
                let want = basalt_proof::derive_challenge(&seed, &root.0, index, epoch, &layout)
                    .expect("a non-empty blob");
                let call = BasaltBlobs::challengeOfCall { id, index, epoch };
                let got = d.evm.ok(STRANGER, d.blobs, &call)?.0;
                assert_eq!((got.chunk, got.leaf), (want.chunk, want.leaf));
            }
        }
    }
    Ok(())
}

#[test]
fn the_commitment_root_is_checked_as_basalt_proof_computes_it() -> Result<()> {
    let mut d = deploy()?;
    let all = providers(&mut d, 64)?;
    for (n, total) in [2usize, 3, 5, 14, 33, 64].into_iter().enumerate() {
        let roots = hashes(total, n as u8);
        let k = (total / 2) as u16;
        let root = basalt_proof::commitment_root(&roots);
        let mut blob = args(root.into(), k, total as u16 - k, 100);
        blob.cidDigest = B256::repeat_byte(0x40 + n as u8);
        let id = register(&mut d, OWNER, blob)?;
        let mut wrong: Vec<B256> = roots.iter().copied().map(B256::from).collect();
        wrong[total - 1].0[0] ^= 1;
        let place = |column_roots: Vec<B256>| BasaltBlobs::placeCall {
            id,
            first: 0,
            holders: all[..total].to_vec(),
            columnRoots: column_roots,
        };
        assert_eq!(
            refusal(&mut d, OWNER, &place(wrong))?,
            "CommitmentMismatch",
            "{total} shards"
        );
        let right = roots.into_iter().map(B256::from).collect();
        d.evm.ok(OWNER, d.blobs, &place(right))?;
        let call = BasaltBlobs::blobCall { id };
        assert_eq!(
            usize::from(d.evm.ok(STRANGER, d.blobs, &call)?.0.placedCount),
            total
        );
    }
    Ok(())
}

#[test]
fn reads_follow_the_shared_rule_with_grant_expiry_and_any_token_as_gate() -> Result<()> {
    let mut d = deploy()?;
    let holders = providers(&mut d, 2)?;
    let roots = hashes(2, 7);
    let root = basalt_proof::commitment_root(&roots);
    let id = register(&mut d, OWNER, args(root.into(), 1, 1, 50))?;
    assert_eq!(decision(&mut d, id, OWNER)?, DENY_INACTIVE);
    let place = BasaltBlobs::placeCall {
        id,
        first: 0,
        holders,
        columnRoots: roots.into_iter().map(B256::from).collect(),
    };
    d.evm.ok(OWNER, d.blobs, &place)?;
    assert_eq!(decision(&mut d, id, OWNER)?, OWNER_READS);
    assert_eq!(decision(&mut d, id, READER)?, DENY);

    // A READ grant that ends 100 s from now (one block a second).
    let until = d.evm.time() + 100;
    let grant = BasaltBlobs::createGrantCall {
        id,
        grantee: READER,
        roles: 1,
        expiresAt: until,
        wrappedKey: vec![7; 80].into(),
    };
    d.evm.ok(OWNER, d.blobs, &grant)?;
    assert_eq!(decision(&mut d, id, READER)?, GRANT_READS);
    d.evm.set_block(d.evm.block() + 100);
    assert_eq!(decision(&mut d, id, READER)?, DENY, "the grant expired");

    // The gate: at least 500 of the stake token; NODE holds 1,000, READER none.
    let gate = |token: Address| BasaltBlobs::setAccessCall {
        id,
        isPublic: false,
        gateToken: token,
        gateMinBalance: U256::from(500),
    };
    let token = d.token;
    assert_eq!(refusal(&mut d, READER, &gate(token))?, "Unauthorized");
    d.evm.ok(OWNER, d.blobs, &gate(token))?;
    assert_eq!(decision(&mut d, id, NODE)?, GATE_READS);
    assert_eq!(decision(&mut d, id, READER)?, DENY);
    // A gate that is no contract answers nothing: it admits nobody, and the view still
    // answers.
    d.evm.ok(OWNER, d.blobs, &gate(STRANGER))?;
    assert_eq!(decision(&mut d, id, NODE)?, DENY);

    d.evm.set_block(50 * EPOCH_BLOCKS);
    assert_eq!(decision(&mut d, id, OWNER)?, DENY_EXPIRED);
    Ok(())
}

#[test]
fn may_act_answers_as_delete_blob_decides() -> Result<()> {
    let mut d = deploy()?;
    let id = placed_blob(&mut d)?;
    let expiring = Address::repeat_byte(0xd1);
    let admin = Address::repeat_byte(0xd2);
    let until = d.evm.time() + 100;
    for (grantee, roles, expires_at) in [(READER, 1, 0), (expiring, 4, until), (admin, 7, 0)] {
        let grant = BasaltBlobs::createGrantCall {
            id,
            grantee,
            roles,
            expiresAt: expires_at,
            wrappedKey: Default::default(),
        };
        d.evm.ok(OWNER, d.blobs, &grant)?;
    }
    let may_delete = |d: &mut Deployment, who: Address| -> Result<bool> {
        let call = BasaltBlobs::mayActCall { id, who, roles: 4 };
        Ok(d.evm.ok(STRANGER, d.blobs, &call)?.0)
    };
    for (who, allowed) in [
        (OWNER, true),
        (expiring, true),
        (admin, true),
        (READER, false),
        (STRANGER, false),
    ] {
        assert_eq!(may_delete(&mut d, who)?, allowed, "{who}");
    }
    d.evm.set_block(d.evm.block() + 100);
    assert!(!may_delete(&mut d, expiring)?, "the grant expired");
    // deleteBlob refuses whom mayAct refuses, for the same reason.
    let delete = BasaltBlobs::deleteBlobCall {
        id,
        grantees: vec![READER, expiring, admin],
    };
    assert_eq!(refusal(&mut d, expiring, &delete)?, "GrantExpired");
    assert_eq!(refusal(&mut d, READER, &delete)?, "Unauthorized");
    let unknown = BasaltBlobs::mayActCall {
        id: B256::repeat_byte(9),
        who: OWNER,
        roles: 4,
    };
    assert_eq!(refusal(&mut d, STRANGER, &unknown)?, "BlobNotFound");
    Ok(())
}

#[test]
fn a_deletion_revokes_the_grants_it_names_and_leaves_none() -> Result<()> {
    let mut d = deploy()?;
    let id = placed_blob(&mut d)?;
    let [a, b] = [Address::repeat_byte(0xa1), Address::repeat_byte(0xb1)];
    for grantee in [a, b] {
        let grant = BasaltBlobs::createGrantCall {
            id,
            grantee,
            roles: 4,
            expiresAt: 0,
            wrappedKey: Default::default(),
        };
        d.evm.ok(OWNER, d.blobs, &grant)?;
    }
    let delete = |grantees: Vec<Address>| BasaltBlobs::deleteBlobCall { id, grantees };
    assert_eq!(
        refusal(&mut d, STRANGER, &delete(vec![a, b]))?,
        "Unauthorized"
    );
    assert_eq!(refusal(&mut d, OWNER, &delete(vec![a]))?, "GrantsOpen");
    assert_eq!(
        refusal(&mut d, OWNER, &delete(vec![a, a, b]))?,
        "GrantsMismatch"
    );
    assert_eq!(
        refusal(&mut d, OWNER, &delete(vec![a, STRANGER]))?,
        "GrantsMismatch"
    );
    // A DELETE grantee deletes, naming every grant (its own included).
    d.evm.ok(b, d.blobs, &delete(vec![a, b]))?;
    let call = BasaltBlobs::blobCall { id };
    assert_eq!(refusal(&mut d, STRANGER, &call)?, "BlobNotFound");
    let grant = BasaltBlobs::grantCall { id, grantee: a };
    assert_eq!(d.evm.ok(STRANGER, d.blobs, &grant)?.0.roles, 0);
    // The same content registers again, from scratch.
    let roots = hashes(2, 7);
    let again = register(
        &mut d,
        OWNER,
        args(basalt_proof::commitment_root(&roots).into(), 1, 1, 5),
    )?;
    assert_eq!(again, id);
    Ok(())
}

#[test]
fn only_the_owner_or_its_grantees_place_fund_and_only_holders_accept() -> Result<()> {
    let mut d = deploy()?;
    let holders = providers(&mut d, 2)?;
    fund(&mut d, OWNER)?;
    fund(&mut d, STRANGER)?;
    let roots: Vec<B256> = hashes(2, 7).into_iter().map(B256::from).collect();
    let root = basalt_proof::commitment_root(&hashes(2, 7));
    let id = register(&mut d, OWNER, args(root.into(), 1, 1, 5))?;
    let place = BasaltBlobs::placeCall {
        id,
        first: 0,
        holders: holders.clone(),
        columnRoots: roots.clone(),
    };
    // The attacks: a stranger choosing the holders, fixing the deal's price, or accepting
    // a shard it was not offered.
    assert_eq!(refusal(&mut d, STRANGER, &place)?, "Unauthorized");
    let deal = BasaltBlobs::fundDealCall {
        id,
        price: 10,
        amount: 100,
    };
    assert_eq!(refusal(&mut d, STRANGER, &deal)?, "Unauthorized");
    // A WRITE grantee places, until its grant expires.
    let grant = BasaltBlobs::createGrantCall {
        id,
        grantee: STRANGER,
        roles: 2,
        expiresAt: d.evm.time() + 10,
        wrappedKey: Default::default(),
    };
    d.evm.ok(OWNER, d.blobs, &grant)?;
    d.evm.ok(STRANGER, d.blobs, &place)?;
    d.evm.ok(OWNER, d.blobs, &deal)?;
    let terms = BasaltBlobs::Terms {
        columnRoot: roots[0],
        expiryEpoch: 5,
        pricePerShardEpoch: 10,
    };
    let accept = BasaltBlobs::acceptCall {
        id,
        index: 0,
        terms: terms.clone(),
    };
    assert_eq!(refusal(&mut d, STRANGER, &accept)?, "NotShardHolder");
    assert_eq!(refusal(&mut d, holders[1], &accept)?, "NotShardHolder");
    d.evm.ok(holders[0], d.blobs, &accept)?;
    d.evm.set_block(d.evm.block() + 10);
    assert_eq!(refusal(&mut d, STRANGER, &place)?, "GrantExpired");
    Ok(())
}

#[test]
fn only_the_jobs_contract_registers_a_blob_for_someone_else() -> Result<()> {
    let mut d = deploy()?;
    // The attack: a stranger registering a blob in the owner's name, with itself as the
    // writer that places it and a deal the owner would pay.
    let call = BasaltBlobs::registerOutputCall {
        owner: OWNER,
        writer: STRANGER,
        args: args(B256::repeat_byte(3), 1, 1, 5),
        price: 1,
        budget: 0,
    };
    assert_eq!(refusal(&mut d, STRANGER, &call)?, "NotProtocol");
    assert_eq!(refusal(&mut d, OWNER, &call)?, "NotProtocol");
    let id = basalt_evm_client::blob_id(OWNER, B256::repeat_byte(0xc1));
    assert_eq!(
        refusal(&mut d, STRANGER, &BasaltBlobs::blobCall { id })?,
        "BlobNotFound"
    );
    Ok(())
}
