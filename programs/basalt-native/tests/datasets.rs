//! Datasets and their versions in a real Solana runtime: who may publish, retract and
//! grant, and the attacks of issue 44 (publishing into someone else's dataset, reusing a
//! tag, forging a parent), each written as the attack first.
#![allow(deprecated)]

use crate::common;

use anyhow::Result;
use basalt::anchor_lang::prelude::Pubkey;
use basalt::client::{ix, pda};
use basalt::errors::BasaltError;
use basalt::instructions::VersionPublishArgs;
use basalt::state::{
    Dataset, DatasetGrant, Version, ROLE_ADMIN, ROLE_DELETE, ROLE_READ, ROLE_WRITE,
};
use common::{assert_basalt_err, Net};
use solana_keypair::Keypair;
use solana_program_test::BanksClientError;
use solana_signer::Signer;

/// A dataset `name` of a fresh owner, and a manifest blob that owner registered.
async fn dataset(net: &mut Net, name: &str) -> Result<(Keypair, Pubkey, Pubkey)> {
    let owner = net.wallet().await?;
    net.send(
        &[ix::dataset_create(&owner.pubkey(), name, false)],
        &[&owner],
    )
    .await?;
    let manifest = net
        .register_blob(&owner, *blake3::hash(owner.pubkey().as_ref()).as_bytes())
        .await?;
    let address = pda::dataset(&owner.pubkey(), name);
    Ok((owner, address, manifest))
}

fn args(tag: &str, id: u8) -> VersionPublishArgs {
    VersionPublishArgs {
        tag: tag.into(),
        version_id: [id; 32],
        message: format!("{tag} message"),
    }
}

/// Publishes `tag` on `parents` as `publisher` (through its grant when not the owner).
async fn publish(
    net: &mut Net,
    publisher: &Keypair,
    dataset: &Pubkey,
    manifest: &Pubkey,
    parents: &[Pubkey],
    a: VersionPublishArgs,
    via_grant: bool,
) -> Result<(), BanksClientError> {
    net.send(
        &[ix::version_publish(
            &publisher.pubkey(),
            dataset,
            manifest,
            parents,
            None,
            a,
            via_grant,
        )],
        &[publisher],
    )
    .await
}

async fn grant(
    net: &mut Net,
    owner: &Keypair,
    dataset: &Pubkey,
    grantee: &Pubkey,
    roles: u8,
) -> Result<()> {
    net.send(
        &[ix::dataset_grant_create(
            &owner.pubkey(),
            dataset,
            grantee,
            roles,
            None,
            vec![3; 96],
            false,
        )],
        &[owner],
    )
    .await?;
    Ok(())
}

#[tokio::test]
async fn versions_form_a_history_with_unique_tags_and_real_parents() -> Result<()> {
    let mut net = Net::start().await?;
    let (owner, ds, manifest) = dataset(&mut net, "imagenet-mini").await?;
    let d: Dataset = net.account(&ds).await?;
    assert_eq!(
        (d.owner, d.name.as_str(), d.public, d.versions),
        (owner.pubkey(), "imagenet-mini", false, 0)
    );

    publish(
        &mut net,
        &owner,
        &ds,
        &manifest,
        &[],
        args("v1.0", 1),
        false,
    )
    .await?;
    let v1 = pda::version(&ds, "v1.0");
    publish(
        &mut net,
        &owner,
        &ds,
        &manifest,
        &[v1],
        args("v1.1", 2),
        false,
    )
    .await?;
    let v2 = pda::version(&ds, "v1.1");
    let v: Version = net.account(&v2).await?;
    assert_eq!(
        (
            v.dataset,
            v.tag.as_str(),
            v.seq,
            v.version_id,
            v.parents.clone()
        ),
        (ds, "v1.1", 1, [2; 32], vec![v1])
    );
    assert_eq!(
        (v.manifest_blob, v.publisher, v.job),
        (manifest, owner.pubkey(), None)
    );
    // A merge names two parents.
    publish(
        &mut net,
        &owner,
        &ds,
        &manifest,
        &[v1, v2],
        args("merge", 3),
        false,
    )
    .await?;
    let d: Dataset = net.account(&ds).await?;
    assert_eq!((d.versions, d.latest), (3, pda::version(&ds, "merge")));
    let names = net.event_names();
    assert!(names.contains(&"DatasetCreated") && names.contains(&"VersionPublished"));

    // Attack: reusing a tag (other content, same tag) cannot overwrite the version.
    assert_basalt_err(
        publish(
            &mut net,
            &owner,
            &ds,
            &manifest,
            &[],
            args("v1.0", 9),
            false,
        )
        .await,
        BasaltError::VersionTagTaken,
    );
    let v: Version = net.account(&v1).await?;
    assert_eq!(v.version_id, [1; 32], "the first publication stands");

    // Attack: forging a parent. An address with no account, an account of another type
    // (the dataset itself) and a system account are each refused.
    for forged in [pda::version(&ds, "never-published"), ds, owner.pubkey()] {
        assert_basalt_err(
            publish(
                &mut net,
                &owner,
                &ds,
                &manifest,
                &[forged],
                args("v2", 4),
                false,
            )
            .await,
            BasaltError::ParentsMismatch,
        );
    }
    assert_basalt_err(
        publish(
            &mut net,
            &owner,
            &ds,
            &manifest,
            &[v1, v1],
            args("v2", 4),
            false,
        )
        .await,
        BasaltError::DuplicateParent,
    );
    // Bad tags, messages and ids.
    for (a, e) in [
        (args("-v2", 4), BasaltError::InvalidVersionTag),
        (args(&"v".repeat(40), 4), BasaltError::InvalidVersionTag),
        (
            VersionPublishArgs {
                message: "m".repeat(300),
                ..args("v2", 4)
            },
            BasaltError::VersionMessageTooLong,
        ),
        (args("v2", 0), BasaltError::InvalidVersionId),
    ] {
        assert_basalt_err(
            publish(&mut net, &owner, &ds, &manifest, &[], a, false).await,
            e,
        );
    }
    // Griefing: lamports sent to a tag's address before it is published do not block it.
    let prefunded = pda::version(&ds, "prefunded");
    net.airdrop(&prefunded, 1_000_000).await?;
    publish(
        &mut net,
        &owner,
        &ds,
        &manifest,
        &[],
        args("prefunded", 6),
        false,
    )
    .await?;
    let v: Version = net.account(&prefunded).await?;
    assert_eq!((v.tag.as_str(), v.seq), ("prefunded", 3));
    // A parent in another dataset is a real parent (a derived dataset).
    let (other, other_ds, other_manifest) = dataset(&mut net, "derived").await?;
    publish(
        &mut net,
        &other,
        &other_ds,
        &other_manifest,
        &[v2],
        args("clean", 5),
        false,
    )
    .await?;
    let v: Version = net.account(&pda::version(&other_ds, "clean")).await?;
    assert_eq!(v.parents, vec![v2]);
    Ok(())
}

#[tokio::test]
async fn only_the_owner_and_write_grantees_publish() -> Result<()> {
    let mut net = Net::start().await?;
    let (owner, ds, manifest) = dataset(&mut net, "shared").await?;
    let (writer, reader, stranger) = (
        net.wallet().await?,
        net.wallet().await?,
        net.wallet().await?,
    );
    // Attack: a stranger publishes into someone else's dataset, with its own manifest or
    // with the owner's.
    let strangers_manifest = net.register_blob(&stranger, [8; 32]).await?;
    for m in [strangers_manifest, manifest] {
        assert_basalt_err(
            publish(&mut net, &stranger, &ds, &m, &[], args("v1", 1), false).await,
            BasaltError::NotDatasetWriter,
        );
    }
    // Names must be plain labels.
    for bad in ["", "-x", "a/b", &"n".repeat(33)] {
        assert_basalt_err(
            net.send(
                &[ix::dataset_create(&owner.pubkey(), bad, false)],
                &[&owner],
            )
            .await,
            BasaltError::InvalidDatasetName,
        );
    }
    // A second dataset of the same name and owner cannot replace the first.
    assert!(net
        .send(
            &[ix::dataset_create(&owner.pubkey(), "shared", true)],
            &[&owner]
        )
        .await
        .is_err());
    // A READ grantee may not publish; a WRITE grantee may, with its own manifest.
    grant(&mut net, &owner, &ds, &reader.pubkey(), ROLE_READ).await?;
    grant(
        &mut net,
        &owner,
        &ds,
        &writer.pubkey(),
        ROLE_READ | ROLE_WRITE,
    )
    .await?;
    let readers_manifest = net.register_blob(&reader, [6; 32]).await?;
    assert_basalt_err(
        publish(
            &mut net,
            &reader,
            &ds,
            &readers_manifest,
            &[],
            args("v1", 1),
            true,
        )
        .await,
        BasaltError::NotDatasetWriter,
    );
    let writers_manifest = net.register_blob(&writer, [5; 32]).await?;
    publish(
        &mut net,
        &writer,
        &ds,
        &writers_manifest,
        &[],
        args("v1", 1),
        true,
    )
    .await?;
    let v: Version = net.account(&pda::version(&ds, "v1")).await?;
    assert_eq!(v.publisher, writer.pubkey());
    // A manifest owned by neither the publisher nor the dataset's owner is refused.
    assert_basalt_err(
        publish(
            &mut net,
            &writer,
            &ds,
            &strangers_manifest,
            &[],
            args("v2", 2),
            true,
        )
        .await,
        BasaltError::ManifestMismatch,
    );
    // Grants: a WRITE grantee cannot grant; the owner revokes; the revoked cannot publish.
    assert_basalt_err(
        net.send(
            &[ix::dataset_grant_create(
                &writer.pubkey(),
                &ds,
                &stranger.pubkey(),
                ROLE_WRITE,
                None,
                vec![],
                true,
            )],
            &[&writer],
        )
        .await,
        BasaltError::NotDatasetAdmin,
    );
    assert_basalt_err(
        net.send(
            &[ix::dataset_grant_create(
                &owner.pubkey(),
                &ds,
                &stranger.pubkey(),
                16,
                None,
                vec![],
                false,
            )],
            &[&owner],
        )
        .await,
        BasaltError::InvalidGrantRoles,
    );
    let g: DatasetGrant = net
        .account(&pda::dataset_grant(&ds, &writer.pubkey()))
        .await?;
    assert_eq!(
        (g.roles, g.granted_by),
        (ROLE_READ | ROLE_WRITE, owner.pubkey())
    );
    net.send(
        &[ix::dataset_grant_revoke(
            &owner.pubkey(),
            &ds,
            &writer.pubkey(),
            &owner.pubkey(),
            false,
        )],
        &[&owner],
    )
    .await?;
    assert!(
        !net.exists(&pda::dataset_grant(&ds, &writer.pubkey()))
            .await?
    );
    assert!(
        publish(
            &mut net,
            &writer,
            &ds,
            &writers_manifest,
            &[],
            args("v2", 2),
            true
        )
        .await
        .is_err(),
        "a revoked grant no longer publishes"
    );
    // A stranger cannot revoke someone's grant; the grantee may renounce its own.
    assert_basalt_err(
        net.send(
            &[ix::dataset_grant_revoke(
                &stranger.pubkey(),
                &ds,
                &reader.pubkey(),
                &owner.pubkey(),
                false,
            )],
            &[&stranger],
        )
        .await,
        BasaltError::NotDatasetAdmin,
    );
    net.send(
        &[ix::dataset_grant_revoke(
            &reader.pubkey(),
            &ds,
            &reader.pubkey(),
            &owner.pubkey(),
            false,
        )],
        &[&reader],
    )
    .await?;
    // An ADMIN grantee makes the dataset public; a stranger cannot.
    grant(&mut net, &owner, &ds, &writer.pubkey(), ROLE_ADMIN).await?;
    assert_basalt_err(
        net.send(
            &[ix::dataset_set_access(&stranger.pubkey(), &ds, true, false)],
            &[&stranger],
        )
        .await,
        BasaltError::NotDatasetAdmin,
    );
    net.send(
        &[ix::dataset_set_access(&writer.pubkey(), &ds, true, true)],
        &[&writer],
    )
    .await?;
    let d: Dataset = net.account(&ds).await?;
    assert!(d.public);
    Ok(())
}

#[tokio::test]
async fn a_retracted_version_stays_in_the_history_and_is_not_built_on() -> Result<()> {
    let mut net = Net::start().await?;
    let (owner, ds, manifest) = dataset(&mut net, "retractable").await?;
    let (writer, deleter, stranger) = (
        net.wallet().await?,
        net.wallet().await?,
        net.wallet().await?,
    );
    grant(&mut net, &owner, &ds, &writer.pubkey(), ROLE_WRITE).await?;
    grant(&mut net, &owner, &ds, &deleter.pubkey(), ROLE_DELETE).await?;
    publish(&mut net, &owner, &ds, &manifest, &[], args("v1", 1), false).await?;
    let v1 = pda::version(&ds, "v1");

    // Attack: a stranger, and a grantee without DELETE, retract.
    for (who, via_grant) in [(&stranger, false), (&writer, true)] {
        assert_basalt_err(
            net.send(
                &[ix::version_retract(&who.pubkey(), &ds, &v1, via_grant)],
                &[who],
            )
            .await,
            BasaltError::NotDatasetAdmin,
        );
    }
    // A version of another dataset cannot be retracted through this one.
    let (other, other_ds, other_manifest) = dataset(&mut net, "other").await?;
    publish(
        &mut net,
        &other,
        &other_ds,
        &other_manifest,
        &[],
        args("v1", 1),
        false,
    )
    .await?;
    assert!(net
        .send(
            &[ix::version_retract(
                &owner.pubkey(),
                &ds,
                &pda::version(&other_ds, "v1"),
                false
            )],
            &[&owner],
        )
        .await
        .is_err());

    net.send(
        &[ix::version_retract(&deleter.pubkey(), &ds, &v1, true)],
        &[&deleter],
    )
    .await?;
    let v: Version = net.account(&v1).await?;
    assert!(
        v.retracted && v.retracted_slot > 0,
        "a tombstone, not a deletion"
    );
    assert_eq!(v.version_id, [1; 32]);
    assert_basalt_err(
        net.send(
            &[ix::version_retract(&owner.pubkey(), &ds, &v1, false)],
            &[&owner],
        )
        .await,
        BasaltError::AlreadyRetracted,
    );
    assert_basalt_err(
        publish(
            &mut net,
            &owner,
            &ds,
            &manifest,
            &[v1],
            args("v2", 2),
            false,
        )
        .await,
        BasaltError::ParentRetracted,
    );
    assert_basalt_err(
        publish(&mut net, &owner, &ds, &manifest, &[], args("v1", 9), false).await,
        BasaltError::VersionTagTaken,
    );
    Ok(())
}
