//! Gray failures on demand: a TCP proxy in front of a storage node that passes its bytes,
//! or holds them back, slows them, loses them or refuses the connection, switched at any
//! moment. The network's clients reach the node only through it once its registered
//! endpoint names the proxy ([`FaultProxy::front`]).
//!
//! The faults are made in user space because this machine kind's kernel has no queueing
//! disciplines (`tc qdisc add … netem` answers "Specified qdisc kind is unknown"): the
//! proxy applies them to each connection's bytes, in both directions, including to
//! connections opened before the fault (a client's pooled connections are hit too).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What the proxy does to a node's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Bytes pass unchanged.
    Pass,
    /// Connections are accepted and nothing gets through either way: a black-holed route,
    /// or a node alive but answering nothing.
    BlackHole,
    /// Every byte arrives this much later, in both directions: a long route.
    Delay(Duration),
    /// At most this many bytes a second in each direction: a node at a trickle.
    Bandwidth(u64),
    /// Each piece of data is lost with this probability (per mille) and sent again after a
    /// retransmission timeout that doubles with each loss in a row, as TCP does.
    Loss { per_mille: u16 },
    /// New connections are closed at once and open ones cut: a partition the client sees.
    Refuse,
    /// A request whose first bytes are these (`PUT /v1/manifests`) is held, with whatever
    /// follows it on its connection, until the fault lifts; everything else passes: a node
    /// that takes shards and hangs in one handler (a stuck metadata write).
    HangOn(&'static str),
}

/// TCP's first retransmission timeout.
const RTO: Duration = Duration::from_millis(200);
const PIECE: usize = 16 << 10;

/// A proxy on 127.0.0.1 in front of one node.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`, for the node's registered endpoint.
    pub url: String,
    fault: Arc<Mutex<Fault>>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy to `target` (the node's own address), passing bytes until told
    /// otherwise; `seed` drives its losses.
    ///
    /// # Errors
    ///
    /// When no port can be bound.
    pub async fn start(target: SocketAddr, seed: u64) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let fault = Arc::new(Mutex::new(Fault::Pass));
        let shared = Arc::clone(&fault);
        let task = tokio::spawn(async move {
            let mut connection = 0u64;
            while let Ok((client, _)) = listener.accept().await {
                connection += 1;
                if current(&shared) == Fault::Refuse {
                    drop(client);
                    continue;
                }
                let fault = Arc::clone(&shared);
                let seed = seed.wrapping_mul(1_000_003).wrapping_add(connection);
                tokio::spawn(async move {
                    if let Ok(node) = TcpStream::connect(target).await {
                        relay(client, node, fault, seed).await;
                    }
                });
            }
        });
        Ok(Self { url, fault, task })
    }

    /// Starts a proxy in front of the node at `node_url` (`http://127.0.0.1:<port>`).
    ///
    /// # Errors
    ///
    /// When the URL names no socket address, or no port can be bound.
    pub async fn front(node_url: &str, seed: u64) -> Result<Self> {
        let target: SocketAddr = node_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .with_context(|| format!("{node_url} is not http://<ip>:<port>"))?;
        Self::start(target, seed).await
    }

    /// Switches the fault, for the bytes still to come.
    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn current(fault: &Mutex<Fault>) -> Fault {
    *fault.lock().unwrap_or_else(|p| p.into_inner())
}

/// Moves bytes both ways between `client` and `node` until either side closes.
async fn relay(client: TcpStream, node: TcpStream, fault: Arc<Mutex<Fault>>, seed: u64) {
    let (client_read, client_write) = client.into_split();
    let (node_read, node_write) = node.into_split();
    let up = pump(client_read, node_write, Arc::clone(&fault), seed);
    let down = pump(node_read, client_write, fault, seed ^ 0x5eed);
    // One direction closing (or being cut) ends the connection, as a proxy does.
    tokio::select! {
        () = up => {},
        () = down => {},
    }
}

/// One direction: a reader stamps each piece with when it may be written, a writer
/// writes it then. Latency holds pieces back without slowing the flow; bandwidth and
/// losses delay the pieces behind them too.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    fault: Arc<Mutex<Fault>>,
    seed: u64,
) {
    let (tx, mut rx) = mpsc::channel::<(Instant, Vec<u8>)>(64);
    let reader = async move {
        let mut buf = vec![0u8; PIECE];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    // The channel's bound keeps the reader from running far ahead of
                    // pieces held back.
                    if tx.send((Instant::now(), buf[..n].to_vec())).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    let writer = async move {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut losses_in_a_row = 0u32;
        let mut free_at = Instant::now();
        // INV: set once a held request began on this connection, until the fault lifts.
        let mut holding = false;
        while let Some((read_at, piece)) = rx.recv().await {
            loop {
                match current(&fault) {
                    Fault::HangOn(prefix) => {
                        holding = holding || piece.starts_with(prefix.as_bytes());
                        if !holding {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Fault::Pass => break,
                    Fault::Refuse => return,
                    Fault::BlackHole => {
                        // Held until the fault lifts (or the connection is dropped).
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Fault::Delay(latency) => {
                        tokio::time::sleep_until(read_at + latency).await;
                        break;
                    }
                    Fault::Bandwidth(bytes_per_second) => {
                        let cost = Duration::from_secs_f64(
                            piece.len() as f64 / bytes_per_second.max(1) as f64,
                        );
                        free_at = free_at.max(Instant::now()) + cost;
                        tokio::time::sleep_until(free_at).await;
                        break;
                    }
                    Fault::Loss { per_mille } => {
                        if rng.gen_range(0..1000) < u32::from(per_mille) {
                            losses_in_a_row += 1;
                            tokio::time::sleep(RTO * 2u32.pow(losses_in_a_row.min(6) - 1)).await;
                            continue;
                        }
                        losses_in_a_row = 0;
                        break;
                    }
                }
            }
            if to.write_all(&piece).await.is_err() {
                return;
            }
        }
    };
    tokio::pin!(reader, writer);
    tokio::select! {
        () = &mut writer => return,
        () = &mut reader => {}
    }
    // The reader saw the end: the writer sends what is left, then ends.
    writer.await;
}

/// Puts a proxy in front of every node of `t`'s network and moves each node's registered
/// endpoint to it (a `provider_update` signed by the node's identity), so that clients
/// reach the nodes only through their proxies. Proxy `i` fronts `t.net.nodes[i]`.
///
/// # Errors
///
/// When a proxy cannot start or an update is refused.
pub async fn front_every_node(t: &crate::TestNet, seed: u64) -> Result<Vec<FaultProxy>> {
    let chain = t.net.client();
    let mut proxies = Vec::with_capacity(t.net.nodes.len());
    for (i, node) in t.net.nodes.iter().enumerate() {
        let proxy = FaultProxy::front(&node.url, seed.wrapping_add(i as u64)).await?;
        let identity_path = basalt_localnet::NodeProcess::identity_path(&node.dir);
        let identity = solana_keypair::read_keypair_file(&identity_path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", identity_path.display()))?;
        let provider = chain
            .provider(&solana_signer::Signer::pubkey(&identity))
            .await?
            .with_context(|| format!("node {i} is registered"))?;
        let update = basalt::client::ix::provider_update(
            &solana_signer::Signer::pubkey(&identity),
            &proxy.url,
            &provider.region,
            provider.roles,
            provider.capacity,
        );
        chain.send(&[update], &identity, &[]).await?;
        proxies.push(proxy);
    }
    Ok(proxies)
}
