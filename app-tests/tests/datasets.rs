//! Datasets on a local network: a directory pushed as v1.0, changed and pushed as v1.1
//! (only the changed files stored), pushed unchanged (nothing stored), pulled back byte
//! for byte, and read by a grantee and by no one else.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{ensure, Context, Result};
use basalt_app_tests::{random_bytes, TestNet};
use basalt_sdk::dataset::{self, DatasetOpError, DatasetRef, PullOptions, PushOptions};
use solana_signer::Signer;

/// Every file under `dir` (the pull scratch excluded), by manifest path.
fn tree(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for f in dataset::scan(dir, 2)? {
        out.insert(f.path, std::fs::read(&f.local)?);
    }
    Ok(out)
}

fn write(dir: &Path, path: &str, bytes: &[u8]) -> Result<()> {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().context("a parent")?)?;
    std::fs::write(full, bytes)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dataset_is_pushed_changed_and_pulled_back_byte_exact() -> Result<()> {
    let t = TestNet::start(6, 3).await?;
    let chain = t.net.client();
    let (owner, reader, stranger) = (&t.wallets[0], &t.wallets[1], &t.wallets[2]);
    let options = PushOptions {
        put: t.rs_options(4, 2),
        ..PushOptions::default()
    };
    chain.create_dataset(owner, "corpus", false).await?;
    let corpus = DatasetRef {
        owner: owner.pubkey(),
        name: "corpus".into(),
    };

    // v1.0: 40 small files (packed), one large file (alone), an empty file, and two paths
    // with one content.
    let work = tempfile::tempdir()?;
    let src = work.path().join("src");
    for i in 0..40 {
        write(
            &src,
            &format!("train/{i:02}.csv"),
            &random_bytes(1_000 + i * 400),
        )?;
    }
    let big = random_bytes(3 << 20);
    write(&src, "images/big.bin", &big)?;
    write(&src, "empty.txt", b"")?;
    write(&src, "README.md", b"the same bytes")?;
    write(&src, "docs/README.md", b"the same bytes")?;
    let v1 = dataset::push(&chain, owner, &corpus, &src, "v1.0", &options).await?;
    ensure!(v1.version.is_some() && v1.files == 44, "v1.0: {v1:?}");
    ensure!(
        (v1.stored_files, v1.reused_files) == (42, 1),
        "v1.0 stores each content once: {v1:?}"
    );
    ensure!(
        v1.stored_blobs == 2,
        "the small files in one pack, the large alone: {v1:?}"
    );

    // The same directory again: nothing stored, nothing published.
    let again = dataset::push(&chain, owner, &corpus, &src, "v1.0-again", &options).await?;
    ensure!(
        again.version.is_none() && again.stored_bytes == 0 && again.version_id == v1.version_id,
        "an unchanged push stores nothing: {again:?}"
    );

    // v1.1: two files changed, one added, one removed: only the three new contents stored.
    write(&src, "train/00.csv", b"corrected")?;
    write(&src, "train/01.csv", b"corrected too")?;
    write(&src, "train/new.csv", b"added")?;
    std::fs::remove_file(src.join("train/02.csv"))?;
    let v11 = dataset::push(&chain, owner, &corpus, &src, "v1.1", &options).await?;
    ensure!(
        (v11.stored_files, v11.stored_bytes) == (3, 27) && v11.parents == ["v1.0"],
        "v1.1 stores only what changed: {v11:?}"
    );

    // A tag is published once, and is a plain label.
    for (tag, what) in [("v1.0", "taken"), ("-v2", "invalid")] {
        let refused = dataset::push(&chain, owner, &corpus, &src, tag, &options).await;
        ensure!(
            matches!(
                (&refused, what),
                (Err(DatasetOpError::TagTaken(_)), "taken")
                    | (Err(DatasetOpError::InvalidTag(_)), "invalid")
            ),
            "{tag}: {refused:?}"
        );
    }

    // Pulled back byte for byte, into an empty directory and over an older version.
    let out = work.path().join("out");
    let pulled = dataset::pull(
        &chain,
        owner,
        &corpus,
        "v1.1",
        &out,
        &PullOptions::default(),
    )
    .await?;
    ensure!(tree(&out)? == tree(&src)?, "v1.1 pulled byte-exact");
    ensure!(
        pulled.kept_files == 0 && pulled.fetched_files == 44,
        "{pulled:?}"
    );
    let again = dataset::pull(
        &chain,
        owner,
        &corpus,
        "v1.1",
        &out,
        &PullOptions::default(),
    )
    .await?;
    ensure!(
        again.kept_files == 44 && again.fetched_blobs == 0,
        "a second pull fetches nothing: {again:?}"
    );
    let back = dataset::pull(
        &chain,
        owner,
        &corpus,
        "v1.0",
        &out,
        &PullOptions::default(),
    )
    .await?;
    ensure!(
        back.fetched_files == 3 && back.extra_files == 1,
        "back to v1.0: the three files that differ, train/new.csv left: {back:?}"
    );
    let v1_files = tree(&out)?;
    ensure!(
        v1_files["train/00.csv"] != b"corrected" && v1_files.contains_key("train/02.csv"),
        "v1.0's files are back"
    );

    // A private dataset: a wallet without a grant holds no key; with one, it reads.
    let refused = dataset::pull(
        &chain,
        reader,
        &corpus,
        "v1.1",
        &work.path().join("r"),
        &PullOptions::default(),
    )
    .await;
    ensure!(
        matches!(refused, Err(DatasetOpError::NoKey(_))),
        "no grant, no key: {refused:?}"
    );
    let wrapped = dataset::wrapped_dataset_key(&chain, owner, &corpus, &reader.pubkey()).await?;
    chain
        .grant_dataset(
            owner,
            &corpus.address(),
            &owner.pubkey(),
            &reader.pubkey(),
            basalt::state::ROLE_READ,
            wrapped,
        )
        .await?;
    let readers = work.path().join("reader");
    dataset::pull(
        &chain,
        reader,
        &corpus,
        "v1.1",
        &readers,
        &PullOptions::default(),
    )
    .await?;
    ensure!(
        tree(&readers)? == tree(&src)?,
        "the grantee reads v1.1 byte-exact"
    );

    // Nobody else publishes into the dataset.
    let refused = dataset::push(&chain, stranger, &corpus, &src, "v9", &options).await;
    ensure!(
        matches!(refused, Err(DatasetOpError::NotAllowed(..))),
        "a stranger's push: {refused:?}"
    );

    // The history: v1.1 ← v1.0.
    let lineage = dataset::lineage(&chain, &corpus.version("v1.1"), 10).await?;
    ensure!(
        lineage.label.as_deref() == Some("corpus@v1.1")
            && lineage.parents.len() == 1
            && lineage.parents[0].label.as_deref() == Some("corpus@v1.0"),
        "{lineage:?}"
    );

    // A file reverted to bytes an older version stored alone seals to that version's blob
    // (sealing is convergent within a dataset): the push finds it stored and reuses it.
    write(&src, "images/big.bin", &random_bytes(3 << 20))?;
    dataset::push(&chain, owner, &corpus, &src, "v1.2", &options).await?;
    write(&src, "images/big.bin", &big)?;
    let reverted = dataset::push(&chain, owner, &corpus, &src, "v1.3", &options).await?;
    ensure!(reverted.stored_blobs == 1, "{reverted:?}");
    let out = work.path().join("v1.3");
    dataset::pull(
        &chain,
        owner,
        &corpus,
        "v1.3",
        &out,
        &PullOptions::default(),
    )
    .await?;
    ensure!(tree(&out)? == tree(&src)?, "v1.3 pulled byte-exact");
    Ok(())
}
