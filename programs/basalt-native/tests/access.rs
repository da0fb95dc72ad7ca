//! Grants, the public flag and token gates, and deletion rights, in a real Solana runtime.
// solana-program-test 3.x marks its whole API deprecated ("agave-unstable-api"); it is
// still the runtime the project measured and hosts the program in.
#![allow(deprecated)]

use crate::common;

use anyhow::Result;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::{ix, pda};
use basalt::errors::BasaltError;
use basalt::state::{Blob, Grant, TokenGate, ROLE_ADMIN, ROLE_DELETE, ROLE_READ, ROLE_WRITE};
use common::{assert_basalt_err, Net};
use solana_keypair::Keypair;
use solana_signer::Signer;

/// A registered (not yet placed) blob owned by a fresh wallet.
async fn blob(net: &mut Net) -> Result<(Keypair, Pubkey)> {
    let owner = net.wallet().await?;
    let digest = *blake3::hash(owner.pubkey().as_ref()).as_bytes();
    let address = net.register_blob(&owner, digest).await?;
    Ok((owner, address))
}

#[tokio::test]
async fn owner_grants_and_revokes_and_admins_delegate() -> Result<()> {
    let mut net = Net::start().await?;
    let (owner, b) = blob(&mut net).await?;
    let (reader, admin, third, stranger) = (
        net.wallet().await?,
        net.wallet().await?,
        net.wallet().await?,
        net.wallet().await?,
    );
    let o = owner.pubkey();

    net.send(
        &[ix::grant_create(
            &o,
            &b,
            &reader.pubkey(),
            ROLE_READ,
            None,
            vec![9; 96],
            false,
        )],
        &[&owner],
    )
    .await?;
    let g: Grant = net.account(&pda::grant(&b, &reader.pubkey())).await?;
    assert_eq!(
        (g.roles, g.wrapped_key.len(), g.granted_by),
        (ROLE_READ, 96, o)
    );

    // Only the owner or an ADMIN grantee grants; a READ grantee cannot.
    assert_basalt_err(
        net.send(
            &[ix::grant_create(
                &stranger.pubkey(),
                &b,
                &third.pubkey(),
                ROLE_READ,
                None,
                vec![],
                false,
            )],
            &[&stranger],
        )
        .await,
        BasaltError::Unauthorized,
    );
    assert_basalt_err(
        net.send(
            &[ix::grant_create(
                &reader.pubkey(),
                &b,
                &third.pubkey(),
                ROLE_READ,
                None,
                vec![],
                true,
            )],
            &[&reader],
        )
        .await,
        BasaltError::Unauthorized,
    );
    // Bad roles, oversized keys and past expiries are refused.
    assert_basalt_err(
        net.send(
            &[ix::grant_create(
                &o,
                &b,
                &third.pubkey(),
                8,
                None,
                vec![],
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::InvalidGrantRoles,
    );
    assert_basalt_err(
        net.send(
            &[ix::grant_create(
                &o,
                &b,
                &third.pubkey(),
                ROLE_READ,
                None,
                vec![0; 129],
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::WrappedKeyTooLong,
    );
    assert_basalt_err(
        net.send(
            &[ix::grant_create(
                &o,
                &b,
                &third.pubkey(),
                ROLE_READ,
                Some(1),
                vec![],
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::InvalidGrantExpiry,
    );

    net.send(
        &[ix::grant_create(
            &o,
            &b,
            &admin.pubkey(),
            ROLE_ADMIN,
            Some(i64::MAX),
            vec![],
            false,
        )],
        &[&owner],
    )
    .await?;
    net.send(
        &[ix::grant_create(
            &admin.pubkey(),
            &b,
            &third.pubkey(),
            ROLE_READ | ROLE_WRITE,
            None,
            vec![1; 96],
            true,
        )],
        &[&admin],
    )
    .await?;
    let g: Grant = net.account(&pda::grant(&b, &third.pubkey())).await?;
    assert_eq!((g.granted_by, g.payer), (admin.pubkey(), admin.pubkey()));

    // A stranger cannot revoke; the admin can; the grantee can renounce its own.
    assert_basalt_err(
        net.send(
            &[ix::grant_revoke(
                &stranger.pubkey(),
                &b,
                &reader.pubkey(),
                &o,
                false,
            )],
            &[&stranger],
        )
        .await,
        BasaltError::Unauthorized,
    );
    net.send(
        &[ix::grant_revoke(
            &admin.pubkey(),
            &b,
            &third.pubkey(),
            &admin.pubkey(),
            true,
        )],
        &[&admin],
    )
    .await?;
    assert!(!net.exists(&pda::grant(&b, &third.pubkey())).await?);
    net.send(
        &[ix::grant_revoke(
            &reader.pubkey(),
            &b,
            &reader.pubkey(),
            &o,
            false,
        )],
        &[&reader],
    )
    .await?;
    assert!(!net.exists(&pda::grant(&b, &reader.pubkey())).await?);
    // Rent goes back to whoever paid it, not to the revoker.
    net.send(
        &[ix::grant_create(
            &o,
            &b,
            &reader.pubkey(),
            ROLE_READ,
            None,
            vec![],
            false,
        )],
        &[&owner],
    )
    .await?;
    assert!(net
        .send(
            &[ix::grant_revoke(
                &o,
                &b,
                &reader.pubkey(),
                &stranger.pubkey(),
                false
            )],
            &[&owner]
        )
        .await
        .is_err());
    Ok(())
}

#[tokio::test]
async fn public_flag_token_gate_and_delete_rights() -> Result<()> {
    let mut net = Net::start().await?;
    let (owner, b) = blob(&mut net).await?;
    let (reader, deleter) = (net.wallet().await?, net.wallet().await?);
    let o = owner.pubkey();
    net.send(
        &[ix::grant_create(
            &o,
            &b,
            &reader.pubkey(),
            ROLE_READ,
            None,
            vec![],
            false,
        )],
        &[&owner],
    )
    .await?;
    net.send(
        &[ix::grant_create(
            &o,
            &b,
            &deleter.pubkey(),
            ROLE_DELETE,
            None,
            vec![],
            false,
        )],
        &[&owner],
    )
    .await?;

    let gate = TokenGate {
        mint: Pubkey::new_unique(),
        min_balance: 5,
    };
    assert_basalt_err(
        net.send(
            &[ix::blob_set_access(&reader.pubkey(), &b, true, None, true)],
            &[&reader],
        )
        .await,
        BasaltError::Unauthorized,
    );
    net.send(
        &[ix::blob_set_access(&o, &b, true, Some(gate), false)],
        &[&owner],
    )
    .await?;
    let blob: Blob = net.account(&b).await?;
    assert!(blob.public);
    assert_eq!(blob.token_gate, Some(gate));

    // Deletion: a READ grantee cannot, a DELETE grantee can; the rent goes to the owner.
    assert_basalt_err(
        net.send(
            &[ix::blob_delete(&reader.pubkey(), &b, &o, true, &[], &[])],
            &[&reader],
        )
        .await,
        BasaltError::Unauthorized,
    );
    // The rent must go to the owner, not to the deleter.
    assert_basalt_err(
        net.send(
            &[ix::blob_delete(
                &deleter.pubkey(),
                &b,
                &deleter.pubkey(),
                true,
                &[],
                &[],
            )],
            &[&deleter],
        )
        .await,
        BasaltError::Unauthorized,
    );
    // Its grants end with it: all of them are closed by the deletion, their rent back to
    // the owner who paid it, or the deletion is refused (issue 42, finding 6).
    let grants = [(reader.pubkey(), o), (deleter.pubkey(), o)];
    assert_basalt_err(
        net.send(
            &[ix::blob_delete(
                &deleter.pubkey(),
                &b,
                &o,
                true,
                &[],
                &grants[..1],
            )],
            &[&deleter],
        )
        .await,
        BasaltError::GrantsOpen,
    );
    let stranger = net.wallet().await?.pubkey();
    assert_basalt_err(
        net.send(
            &[ix::blob_delete(
                &deleter.pubkey(),
                &b,
                &o,
                true,
                &[],
                &[(reader.pubkey(), stranger), (deleter.pubkey(), o)],
            )],
            &[&deleter],
        )
        .await,
        BasaltError::GrantsMismatch,
    );
    let rent_before = net.lamports(&o).await?;
    net.send(
        &[ix::blob_delete(
            &deleter.pubkey(),
            &b,
            &o,
            true,
            &[],
            &grants,
        )],
        &[&deleter],
    )
    .await?;
    assert!(!net.exists(&b).await?);
    for (grantee, _) in grants {
        assert!(!net.exists(&pda::grant(&b, &grantee)).await?);
    }
    assert!(
        net.lamports(&o).await? > rent_before,
        "the blob's and the grants' rent went back to the owner"
    );
    Ok(())
}
