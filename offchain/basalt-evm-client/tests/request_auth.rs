//! A request signed by an EVM account (`basalt_core::evm_auth`) is what an Ethereum wallet
//! makes of the same message: alloy's local signer (`personal_sign`, EIP-191) signs what the
//! node accepts, and recovers the signer of what `basalt-core` signs.

use alloy::primitives::Signature;
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use anyhow::Result;
use basalt_core::auth::RequestAuth;
use basalt_core::evm_auth::{EvmRequestAuth, SigningKey};

const NOW: u64 = 1_800_000_000_000;
const BODY: [u8; 32] = [9; 32];
const PATH: &str = "/v1/blobs/5Hb?offset=0&len=10";

#[test]
fn a_wallets_personal_sign_is_a_request_signature_and_back() -> Result<()> {
    let wallet = PrivateKeySigner::random();
    let key = SigningKey::from_slice(wallet.to_bytes().as_slice())?;

    // Signed by basalt-core: the wallet's own recovery names the wallet.
    let ours = EvmRequestAuth::sign(&key, "GET", PATH, &BODY, NOW, [1; 16]);
    assert_eq!(ours.address, wallet.address().into_array());
    let message = RequestAuth::message("GET", PATH, &BODY, NOW, &[1; 16]);
    let signature = Signature::from_raw(&ours.signature)?;
    assert_eq!(
        signature.recover_address_from_msg(&message)?,
        wallet.address()
    );

    // Signed by the wallet: the node's check accepts it, headers and all.
    let theirs = wallet.sign_message_sync(&message)?;
    let [k, t, n, _] = ours.headers().map(|(_, v)| v);
    let sent = format!("0x{}", alloy::hex::encode(theirs.as_bytes()));
    let parsed = EvmRequestAuth::parse(Some(&k), Some(&t), Some(&n), Some(&sent))?;
    parsed.verify("GET", PATH, &BODY, NOW, 1_000)?;
    // Checksummed (EIP-55), as wallets print it: the same caller.
    let checksummed = wallet.address().to_checksum(None);
    let parsed = EvmRequestAuth::parse(Some(&checksummed), Some(&t), Some(&n), Some(&sent))?;
    parsed.verify("GET", PATH, &BODY, NOW, 1_000)?;
    Ok(())
}
