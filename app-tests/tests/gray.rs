//! Gray failures: storage nodes that are alive but do not answer, or answer slowly. Every
//! node of a 14-node network sits behind a fault proxy (`basalt_app_tests::faults`); four
//! of them (as many as RS(10, 4) can lose) are given a fault at a time: frozen (SIGSTOP:
//! the kernel still accepts connections, nothing answers), black-holed, delayed, slowed
//! to a trickle, lossy, or cut off. Reads must not wait for them (a small blob within 2 s,
//! a 64 MiB one within 2 s plus its transfer time with every holder answering), writes
//! move their columns to spares instead of waiting out timeouts, and every byte read back
//! is exact. Then 100 seeded trials of random faults on random nodes (`BASALT_FAULT_SEED`
//! replays one run; the seed is printed).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use basalt_app_tests::faults::{front_every_node, Fault, FaultProxy};
use basalt_app_tests::{random_bytes, TestNet};
use basalt_core::BlobId;
use basalt_sdk::{PutOptions, PutReport};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use solana_keypair::Keypair;
use solana_signer::Signer;

/// The bound for reading a small blob, and the slack over the healthy transfer time for
/// a large one.
const READ_DEADLINE: Duration = Duration::from_secs(2);
/// A grant reads the manifest (a read) and sends one transaction.
const GRANT_DEADLINE: Duration = Duration::from_secs(3);
/// A put with faulty holders among its picks: one stall bound per faulty column (5 s
/// before any upload answered, about 1 s after), far below the 30 s shard timeout that
/// it waited out, three times per column, before.
const PUT_DEADLINE: Duration = Duration::from_secs(15);
/// A delete sends its transactions and asks the holders to drop their shards, waiting at
/// most 2 s for them.
const DELETE_DEADLINE: Duration = Duration::from_secs(6);
const FAULTY: usize = 4;
const TRIALS: usize = 100;

/// A fault of one node: one of the proxy's, or its process stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Frozen,
    Net(Fault),
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::Frozen,
        Kind::Net(Fault::BlackHole),
        Kind::Net(Fault::Delay(Duration::from_millis(1_500))),
        Kind::Net(Fault::Bandwidth(2_048)),
        Kind::Net(Fault::Loss { per_mille: 300 }),
        Kind::Net(Fault::Refuse),
        Kind::Net(Fault::HangOn("PUT /v1/manifests")),
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::Frozen => "frozen (SIGSTOP)",
            Kind::Net(Fault::BlackHole) => "black hole",
            Kind::Net(Fault::Delay(_)) => "delay 1.5 s",
            Kind::Net(Fault::Bandwidth(_)) => "trickle 2 KiB/s",
            Kind::Net(Fault::Loss { .. }) => "30 % loss",
            Kind::Net(Fault::Refuse) => "partition (refused)",
            Kind::Net(Fault::HangOn(_)) => "hangs storing manifests",
            Kind::Net(Fault::Pass) => "none",
        }
    }
}

/// The network, its proxies, and the faults in force.
struct Faulty {
    t: TestNet,
    proxies: Vec<FaultProxy>,
    active: Vec<(usize, Kind)>,
    /// What each step of the fault-by-fault phase took, for the printed summary.
    took: Vec<(String, Duration)>,
}

impl Faulty {
    fn inject(&mut self, node: usize, kind: Kind) -> Result<()> {
        match kind {
            Kind::Frozen => self.t.net.nodes[node].freeze(true)?,
            Kind::Net(fault) => self.proxies[node].set(fault),
        }
        self.active.push((node, kind));
        Ok(())
    }

    fn clear(&mut self) -> Result<()> {
        for (node, kind) in std::mem::take(&mut self.active) {
            match kind {
                Kind::Frozen => self.t.net.nodes[node].freeze(false)?,
                Kind::Net(_) => self.proxies[node].set(Fault::Pass),
            }
        }
        Ok(())
    }

    /// The nodes holding shards 0-3 of `put`: the worst four to lose, the data shards a
    /// get asks for first and the first holders it asks for the manifest.
    fn first_holders(&self, put: &PutReport) -> Result<Vec<usize>> {
        put.providers[..FAULTY]
            .iter()
            .map(|p| self.t.node_of(&p.to_string()))
            .collect()
    }

    /// Reads `id` and checks it is `data`, within `bound`; returns how long it took.
    async fn read(
        &self,
        wallet: &Keypair,
        id: &BlobId,
        data: &[u8],
        bound: Duration,
    ) -> Result<Duration> {
        let started = Instant::now();
        let (read, report) = self.t.get(wallet, id).await?;
        let took = started.elapsed();
        ensure!(read == data, "{} bytes read back differ", data.len());
        ensure!(
            took <= bound,
            "a get of {} bytes took {took:?}, over {bound:?}; per holder: {:?}",
            data.len(),
            report.holders
        );
        Ok(took)
    }
}

async fn timed<T>(
    what: &str,
    bound: Duration,
    f: impl std::future::Future<Output = Result<T>>,
) -> Result<(T, Duration)> {
    let started = Instant::now();
    let value = f.await.with_context(|| what.to_owned())?;
    let took = started.elapsed();
    ensure!(took <= bound, "{what} took {took:?}, over {bound:?}");
    Ok((value, took))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_faulty_nodes_of_fourteen_never_stall_a_get_put_grant_or_delete() -> Result<()> {
    let t = TestNet::start(14, 1 + Kind::ALL.len()).await?;
    let seed = std::env::var("BASALT_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random::<u64>);
    println!("gray-failure suite: BASALT_FAULT_SEED={seed}");
    let proxies = front_every_node(&t, seed).await?;
    let mut net = Faulty {
        t,
        proxies,
        active: Vec::new(),
        took: Vec::new(),
    };
    let result = run_suite(&mut net, seed).await;
    net.clear()?;
    result.with_context(|| format!("BASALT_FAULT_SEED={seed} replays this run"))
}

async fn run_suite(net: &mut Faulty, seed: u64) -> Result<()> {
    let owner = net.t.wallets[0].insecure_clone();
    let wide = net.t.put_options();
    let (small, large) = (random_bytes(300), random_bytes(64 << 20));
    let small_put = net.t.put(&owner, small.clone(), &wide).await?;
    let empty_put = net.t.put(&owner, Vec::new(), &wide).await?;
    let large_put = net.t.put(&owner, large.clone(), &wide).await?;
    ensure!(
        small_put.providers.len() == 14,
        "RS(10, 4) over the 14 nodes"
    );
    // The large blob with every holder answering: its transfer time.
    let started = Instant::now();
    net.t.get(&owner, &large_put.id).await?;
    let healthy = started.elapsed();
    // RS(4, 2): eight spares for every put.
    let narrow = PutOptions {
        k: Some(4),
        m: Some(2),
        chunk_size: 64 << 10,
        ..net.t.put_options()
    };

    for (i, kind) in Kind::ALL.into_iter().enumerate() {
        let what = kind.name();
        for node in net.first_holders(&small_put)? {
            net.inject(node, kind)?;
        }
        let small_get = net
            .read(&owner, &small_put.id, &small, READ_DEADLINE)
            .await
            .context(what)?;
        let empty_get = net
            .read(&owner, &empty_put.id, &[], READ_DEADLINE)
            .await
            .context(what)?;
        let grantee = net.t.wallets[1 + i].pubkey();
        let chain = net.t.net.client();
        let (_, grant) = timed(&format!("{what}: grant"), GRANT_DEADLINE, async {
            Ok(basalt_sdk::access::grant(
                &chain,
                &owner,
                &small_put.id,
                &grantee,
                basalt::state::ROLE_READ,
                None,
            )
            .await?)
        })
        .await?;
        let data = random_bytes(300_000);
        let (put, put_took) = timed(&format!("{what}: put"), PUT_DEADLINE, async {
            Ok(net.t.put(&owner, data.clone(), &narrow).await?)
        })
        .await?;
        let faulty: Vec<String> = net
            .active
            .iter()
            .map(|(n, _)| net.t.net.nodes[*n].address.clone())
            .collect();
        // A node that answers nothing, or a trickle, is given up; a lossy or distant one
        // that still answers within the uploads' bound may keep its column.
        let unusable = matches!(
            kind,
            Kind::Frozen
                | Kind::Net(
                    Fault::BlackHole | Fault::Bandwidth(_) | Fault::Refuse | Fault::HangOn(_)
                )
        );
        ensure!(
            !unusable
                || put
                    .providers
                    .iter()
                    .all(|p| !faulty.contains(&p.to_string())),
            "{what}: a faulty node holds a column of the new blob"
        );
        net.read(&owner, &put.id, &data, READ_DEADLINE)
            .await
            .context(what)?;
        let (_, delete) = timed(&format!("{what}: delete"), DELETE_DEADLINE, async {
            Ok(basalt_sdk::access::delete(&chain, &owner, &put.id).await?)
        })
        .await?;
        net.clear()?;
        for (step, took) in [
            ("get 300 B", small_get),
            ("get 0 B", empty_get),
            ("grant", grant),
            ("put 300 KB", put_took),
            ("delete", delete),
        ] {
            net.took.push((format!("{what}: {step}"), took));
        }
        // The large blob, with its own first holders faulty (its layout differs).
        if matches!(
            kind,
            Kind::Frozen | Kind::Net(Fault::BlackHole) | Kind::Net(Fault::Bandwidth(_))
        ) {
            for node in net.first_holders(&large_put)? {
                net.inject(node, kind)?;
            }
            let took = net
                .read(&owner, &large_put.id, &large, READ_DEADLINE + healthy)
                .await
                .with_context(|| format!("{what}, 64 MiB (healthy: {healthy:?})"))?;
            net.took
                .push((format!("{what}: get 64 MiB (healthy {healthy:.2?})"), took));
            net.clear()?;
        }
    }

    for (step, took) in &net.took {
        println!("gray-failure step: {step}: {took:.2?}");
    }

    // Random faults of random kinds on random nodes, a read of the small or the empty blob
    // in each trial; every fifth trial a put instead, its faults struck at a random moment
    // of it (uploads, manifest, registration or acceptance).
    let mut rng = StdRng::seed_from_u64(seed);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let nodes: Vec<usize> = (0..net.t.net.nodes.len()).collect();
    for trial in 0..TRIALS {
        if trial % 5 == 4 {
            let faults: Vec<(usize, Kind)> = nodes
                .choose_multiple(&mut rng, FAULTY)
                .map(|&node| (node, Kind::ALL[rng.gen_range(1..Kind::ALL.len())]))
                .collect();
            for (_, kind) in &faults {
                *counts.entry(kind.name()).or_default() += 1;
            }
            let at = Duration::from_millis(rng.gen_range(0..3_000));
            let data = random_bytes(rng.gen_range(0..400_000));
            put_struck_midway(net, &faults, at, &data, &narrow)
                .await
                .with_context(|| format!("trial {trial}: put, faults {faults:?} at {at:?}"))?;
            continue;
        }
        for &node in nodes.choose_multiple(&mut rng, FAULTY) {
            let kind = Kind::ALL[rng.gen_range(0..Kind::ALL.len())];
            *counts.entry(kind.name()).or_default() += 1;
            net.inject(node, kind)?;
        }
        let (id, data) = if trial % 2 == 0 {
            (&small_put.id, &small[..])
        } else {
            (&empty_put.id, &[][..])
        };
        if let Err(e) = net.read(&owner, id, data, READ_DEADLINE).await {
            bail!("trial {trial}, faults {:?}: {e:#}", net.active);
        }
        net.clear()?;
    }
    println!(
        "gray-failure trials: {TRIALS} ({} puts struck midway), faults injected: {} ({counts:?}), failures: 0",
        TRIALS / 5,
        counts.values().sum::<usize>()
    );
    Ok(())
}

/// A put of `data` whose `faults` (the proxies', not a freeze) strike `at` after it began:
/// it must finish within its deadline; a grant of the new blob must too while the faults
/// last; once they are lifted the blob reads back exact.
async fn put_struck_midway(
    net: &mut Faulty,
    faults: &[(usize, Kind)],
    at: Duration,
    data: &[u8],
    options: &PutOptions,
) -> Result<()> {
    let owner = net.t.wallets[0].insecure_clone();
    let strike = async {
        tokio::time::sleep(at).await;
        for (node, kind) in faults {
            if let Kind::Net(fault) = kind {
                net.proxies[*node].set(*fault);
            }
        }
    };
    let put = timed("put", PUT_DEADLINE, async {
        Ok(net.t.put(&owner, data.to_vec(), options).await?)
    });
    let (put, ()) = tokio::join!(put, strike);
    net.active.extend_from_slice(faults);
    let (put, _) = put?;
    let chain = net.t.net.client();
    let grantee = Keypair::new().pubkey();
    timed("grant", GRANT_DEADLINE, async {
        let role = basalt::state::ROLE_READ;
        Ok(basalt_sdk::access::grant(&chain, &owner, &put.id, &grantee, role, None).await?)
    })
    .await?;
    net.clear()?;
    // The blob stays: a delete right after a put can meet a proof its deal has not paid
    // yet (`UnsettledPayouts`), and deletes under faults are checked above.
    net.read(&owner, &put.id, data, READ_DEADLINE).await?;
    Ok(())
}
