//! Datasets on the EVM where the Solidity could drift from the Rust every other chain runs
//! (the label rule of names and tags, byte by byte) or where only the EVM has a way in
//! (recording a version through the jobs contract's door, grant expiry in block time,
//! renouncing a grant). Publishing, retracting and publications from jobs over whole
//! stories are the shared scenarios' (`app-tests/scenarios/tests/evm.rs`).

use std::collections::BTreeSet;

use alloy::primitives::{Address, B256};
use alloy::sol_types::SolCall;
use anyhow::Result;
use basalt_evm_client::BasaltBlobs;
use basalt_evm_client::BasaltDatasets::{self, BasaltDatasetsErrors};
use basalt_rules::{ROLE_ADMIN, ROLE_READ, ROLE_WRITE};

use crate::deployment::{deploy, Deployment, STRANGER};

const OWNER: Address = Address::repeat_byte(0x0e);
const WRITER: Address = Address::repeat_byte(0x3e);

fn refusal<C: SolCall>(d: &mut Deployment, who: Address, call: &C) -> Result<String> {
    let to = d.datasets;
    crate::deployment::refusal::<C, BasaltDatasetsErrors>(d, who, to, call)
}

/// Creates `OWNER`'s public dataset `name`.
fn create(d: &mut Deployment, name: &str) -> Result<B256> {
    let call = BasaltDatasets::createCall {
        name: name.into(),
        isPublic: true,
    };
    let id = d.evm.ok(OWNER, d.datasets, &call)?.0;
    assert_eq!(id, basalt_evm_client::dataset_id(OWNER, name));
    Ok(id)
}

/// Dataset `id` as the contract holds it.
fn dataset_record(d: &mut Deployment, id: B256) -> Result<BasaltDatasets::Dataset> {
    let call = BasaltDatasets::datasetCall { id };
    Ok(d.evm.ok(OWNER, d.datasets, &call)?.0)
}

/// A manifest blob of `owner` (its content digest `digest`).
fn manifest(d: &mut Deployment, owner: Address, digest: u8) -> Result<B256> {
    let args = BasaltBlobs::BlobArgs {
        cidDigest: B256::repeat_byte(digest),
        size: 1_000,
        chunkSize: 1 << 10,
        leafSize: 256,
        k: 1,
        m: 1,
        commitmentRoot: B256::repeat_byte(1),
        expiryEpoch: 5,
        isPublic: true,
        encrypted: false,
    };
    Ok(d.evm
        .ok(owner, d.blobs, &BasaltBlobs::registerCall { args })?
        .0)
}

fn version(tag: &str, manifest_blob: B256) -> BasaltDatasets::VersionArgs {
    BasaltDatasets::VersionArgs {
        tag: tag.into(),
        versionId: B256::repeat_byte(0x77),
        manifestBlob: manifest_blob,
        parents: Vec::new(),
        job: B256::ZERO,
        message: String::new(),
    }
}

/// Names (and tags) the rule takes or refuses at each position: every ASCII character
/// first, inside and last, non-ASCII letters, and the length bounds.
fn labels() -> BTreeSet<String> {
    let mut labels = BTreeSet::new();
    for c in (0x20u8..0x7f).map(char::from).chain(['é', 'ß', '\u{7f}']) {
        labels.insert(format!("{c}a"));
        labels.insert(format!("a{c}b"));
        labels.insert(format!("ab{c}"));
    }
    for len in [0, 1, 31, 32, 33] {
        labels.insert("x".repeat(len));
    }
    labels
}

/// Sends `call` as `OWNER`, which must land when `rule` passes and otherwise revert with
/// the rule's error; whether it landed.
fn decided_as<C: SolCall>(
    d: &mut Deployment,
    call: &C,
    rule: Result<(), basalt_rules::RuleError>,
    label: &str,
) -> Result<bool> {
    match rule {
        Ok(()) => {
            d.evm.ok(OWNER, d.datasets, call)?;
            Ok(true)
        }
        Err(e) => {
            assert_eq!(refusal(d, OWNER, call)?, format!("{e:?}"), "{label:?}");
            Ok(false)
        }
    }
}

#[test]
fn names_and_tags_are_labels_exactly_as_basalt_rules_says() -> Result<()> {
    let mut d = deploy()?;
    let blob = manifest(&mut d, OWNER, 0xa1)?;
    let dataset = create(&mut d, "corpus")?;
    let (mut names, mut tags) = (0, 0);
    for label in labels() {
        let create = BasaltDatasets::createCall {
            name: label.clone(),
            isPublic: false,
        };
        names += u64::from(decided_as(
            &mut d,
            &create,
            basalt_rules::check_dataset_name(&label),
            &label,
        )?);
        let publish = BasaltDatasets::publishCall {
            id: dataset,
            args: version(&label, blob),
        };
        tags += u64::from(decided_as(
            &mut d,
            &publish,
            basalt_rules::check_version_tag(&label),
            &label,
        )?);
    }
    // Neither everything nor nothing passed.
    assert!(names > 60 && names == tags, "{names} names, {tags} tags");
    let record = dataset_record(&mut d, dataset)?;
    assert_eq!(record.versions, tags, "every tag was a version");
    Ok(())
}

#[test]
fn only_the_jobs_contract_records_a_version_in_someone_elses_name() -> Result<()> {
    let mut d = deploy()?;
    let dataset = create(&mut d, "corpus")?;
    let blob = manifest(&mut d, STRANGER, 0xa2)?;
    // The attack: a stranger recording a version of the owner's dataset as the owner's,
    // through the door the jobs contract publishes outputs by.
    let call = BasaltDatasets::recordPublicationCall {
        id: dataset,
        args: version("v1", blob),
        requester: OWNER,
    };
    assert_eq!(refusal(&mut d, STRANGER, &call)?, "NotProtocol");
    assert_eq!(refusal(&mut d, OWNER, &call)?, "NotProtocol");
    let key = d
        .evm
        .ok(
            OWNER,
            d.datasets,
            &BasaltDatasets::versionKeyCall {
                dataset,
                tag: "v1".into(),
            },
        )?
        .0;
    assert_eq!(key, basalt_evm_client::version_key(dataset, "v1"));
    assert_eq!(
        refusal(&mut d, STRANGER, &BasaltDatasets::versionCall { key })?,
        "VersionNotFound"
    );
    Ok(())
}

#[test]
fn an_expired_grant_publishes_nothing_and_a_grantee_may_renounce() -> Result<()> {
    let mut d = deploy()?;
    let dataset = create(&mut d, "corpus")?;
    let blob = manifest(&mut d, WRITER, 0xa3)?;
    let expires_at = d.evm.time() + 100;
    let grant = BasaltDatasets::createGrantCall {
        id: dataset,
        grantee: WRITER,
        roles: ROLE_READ | ROLE_WRITE,
        expiresAt: expires_at,
        wrappedKey: Default::default(),
    };
    assert_eq!(refusal(&mut d, STRANGER, &grant)?, "NotDatasetAdmin");
    d.evm.ok(OWNER, d.datasets, &grant)?;
    assert_eq!(refusal(&mut d, OWNER, &grant)?, "GrantExists");
    let publish = |tag: &str| BasaltDatasets::publishCall {
        id: dataset,
        args: version(tag, blob),
    };
    d.evm.ok(WRITER, d.datasets, &publish("v1"))?;
    // Block time reaches the expiry: the grant no longer applies.
    let now = d.evm.block();
    d.evm.set_block(now + (expires_at - d.evm.time()));
    assert_eq!(refusal(&mut d, WRITER, &publish("v2"))?, "NotDatasetWriter");
    let standing = d
        .evm
        .ok(
            WRITER,
            d.datasets,
            &BasaltDatasets::standingCall {
                id: dataset,
                who: WRITER,
            },
        )?
        .0;
    assert_eq!((standing.owner, standing.roles), (false, 0));

    // A grantee renounces its own grant; a stranger revokes none.
    let admin = BasaltDatasets::createGrantCall {
        grantee: STRANGER,
        roles: ROLE_ADMIN,
        expiresAt: 0,
        ..grant
    };
    let renounce = BasaltDatasets::revokeGrantCall {
        id: dataset,
        grantee: WRITER,
    };
    let stranger_revokes = BasaltDatasets::revokeGrantCall {
        id: dataset,
        grantee: STRANGER,
    };
    d.evm.ok(OWNER, d.datasets, &admin)?;
    d.evm.ok(WRITER, d.datasets, &renounce)?;
    assert_eq!(refusal(&mut d, WRITER, &renounce)?, "GrantsMismatch");
    assert_eq!(
        refusal(&mut d, WRITER, &stranger_revokes)?,
        "NotDatasetAdmin"
    );
    let access = BasaltDatasets::setAccessCall {
        id: dataset,
        isPublic: false,
    };
    assert_eq!(refusal(&mut d, WRITER, &access)?, "NotDatasetAdmin");
    // An ADMIN grantee changes the dataset's access.
    d.evm.ok(STRANGER, d.datasets, &access)?;
    let record = dataset_record(&mut d, dataset)?;
    assert!(!record.isPublic);
    Ok(())
}
