//! Access control end to end: the storage nodes ask the chain, over RPC, whether a key may
//! read; grants carry the data key; deletion removes the blob on chain and on the nodes.

use std::time::Duration;

use anyhow::Result;
use basalt::state::ROLE_READ;
use basalt_app_tests::{random_bytes, TestNet};
use basalt_sdk::{GetError, PutOptions};
use solana_signer::Signer;

/// Longer than the nodes' ACL cache (200 ms in tests) plus a confirmation.
const ACL_SETTLE: Duration = Duration::from_millis(600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_opens_a_blob_and_its_revocation_closes_it_again() -> Result<()> {
    let t = TestNet::start(6, 2).await?;
    let (owner, reader) = (&t.wallets[0], &t.wallets[1]);
    let options = PutOptions {
        k: Some(4),
        m: Some(2),
        chunk_size: 64 << 10,
        ..t.put_options()
    };
    let data = random_bytes(200_000);
    let put = t.put(owner, data.clone(), &options).await?;
    let chain = t.net.client();

    let denied = t.get(reader, &put.id).await;
    assert!(matches!(denied, Err(GetError::Forbidden(_))), "{denied:?}");

    basalt_sdk::access::grant(&chain, owner, &put.id, &reader.pubkey(), ROLE_READ, None).await?;
    tokio::time::sleep(ACL_SETTLE).await;
    let (back, _) = t.get(reader, &put.id).await?;
    assert_eq!(back, data, "the grantee reads with the key from its grant");

    basalt_sdk::access::revoke(&chain, owner, &put.id, &reader.pubkey()).await?;
    tokio::time::sleep(ACL_SETTLE).await;
    let again = t.get(reader, &put.id).await;
    assert!(matches!(again, Err(GetError::Forbidden(_))), "{again:?}");
    // The owner is never locked out.
    assert_eq!(t.get(owner, &put.id).await?.0, data);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_blobs_are_readable_by_anyone_and_deleted_blobs_by_no_one() -> Result<()> {
    let t = TestNet::start(6, 2).await?;
    let (owner, stranger) = (&t.wallets[0], &t.wallets[1]);
    let options = PutOptions {
        k: Some(4),
        m: Some(2),
        chunk_size: 64 << 10,
        encrypt: false,
        public: true,
        ..t.put_options()
    };
    let data = random_bytes(150_000);
    let put = t.put(owner, data.clone(), &options).await?;
    assert_eq!(t.get(stranger, &put.id).await?.0, data);

    // Only the owner may delete. Its grants go with the blob: none is left to give rights
    // on a later registration of the same content.
    let chain = t.net.client();
    basalt_sdk::access::grant(&chain, owner, &put.id, &stranger.pubkey(), ROLE_READ, None).await?;
    let refused = basalt_sdk::access::delete(&chain, stranger, &put.id).await;
    assert!(refused.is_err(), "a stranger deleted the blob");
    let (_, removed) = basalt_sdk::access::delete(&chain, owner, &put.id).await?;
    assert_eq!(removed, 6 * 3, "every shard of 3 chunks on 6 holders");
    assert!(chain.blob(&put.id).await?.is_none());
    let blob = put.blob;
    assert!(
        chain.grants_of(&blob).await?.is_empty(),
        "the grant went with the blob"
    );
    let gone = t.get(owner, &put.id).await;
    assert!(matches!(gone, Err(GetError::NotFound(_))), "{gone:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_gate_admits_holders_of_the_mint_and_no_one_else() -> Result<()> {
    use basalt::client::ix;
    use basalt::state::TokenGate;
    // Wallets 0 and 1 are funded with stake tokens; wallet 2 gets SOL only.
    let t = TestNet::start(6, 2).await?;
    let (owner, holder) = (&t.wallets[0], &t.wallets[1]);
    let outsider = solana_keypair::Keypair::new();
    let chain = t.net.client();
    chain.airdrop(&outsider.pubkey(), 1_000_000_000).await?;
    let options = PutOptions {
        k: Some(4),
        m: Some(2),
        chunk_size: 64 << 10,
        encrypt: false,
        ..t.put_options()
    };
    let data = random_bytes(90_000);
    let put = t.put(owner, data.clone(), &options).await?;
    let gate = TokenGate {
        mint: chain.stake_mint().await?,
        min_balance: 1,
    };
    let blob = put.blob;
    chain
        .send(
            &[ix::blob_set_access(
                &owner.pubkey(),
                &blob,
                false,
                Some(gate),
                false,
            )],
            owner,
            &[],
        )
        .await?;
    tokio::time::sleep(ACL_SETTLE).await;
    assert_eq!(
        t.get(holder, &put.id).await?.0,
        data,
        "a holder of the mint reads"
    );
    let refused = t.get(&outsider, &put.id).await;
    assert!(
        matches!(refused, Err(GetError::Forbidden(_))),
        "{refused:?}"
    );
    Ok(())
}
