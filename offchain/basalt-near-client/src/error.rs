//! Why a NEAR call failed, in terms a caller can act on.

use near_primitives::hash::CryptoHash;
use near_primitives::types::AccountId;

/// Why a NEAR read or call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NearError {
    /// The contract refused with one of its own errors (the Solana program's names).
    #[error("the Basalt contract refused {method}: {message} ({name})")]
    Contract {
        method: String,
        name: String,
        message: String,
    },
    /// The call failed for a reason outside the contract's checks: a wasm trap, too little
    /// gas, a missing account, a balance too low for the attached deposit.
    #[error("{method} failed: {why}")]
    Failed { method: String, why: String },
    /// No account, or no contract deployed, at `account`.
    #[error("{account} has no contract deployed (or does not exist) on this network")]
    NoContract { account: AccountId },
    /// The signer's key is not an access key of its account.
    #[error("{key} is not an access key of {account}; add it, or sign with the account's key")]
    UnknownKey { account: AccountId, key: String },
    /// The transaction was sent but its outcome was not known before the RPC gave up. It
    /// may still execute: look it up by hash before sending the same call again.
    #[error("transaction {tx} was sent but not confirmed in time; look it up before retrying")]
    Pending { tx: CryptoHash },
    /// A view answered with something that is not the expected JSON.
    #[error("{method} returned an unexpected answer: {why}")]
    Decode { method: String, why: String },
    /// The RPC endpoint could not be reached or answered with an error.
    #[error("NEAR RPC {url}: {why}")]
    Rpc { url: String, why: String },
}

/// The contract's `"Name: message"` panic inside a NEAR execution error, as
/// `(name, message)`.
///
/// NEAR reports a guest panic as `Smart contract panicked: <text>` in transaction outcomes
/// and, in older RPC versions' view errors, as `... GuestPanic { panic_msg: "<text>" }`.
/// Anything else (a trap, gas exhaustion) is not a contract error and gives `None`.
pub fn contract_panic(execution_error: &str) -> Option<(String, String)> {
    const PANICKED: &str = "Smart contract panicked: ";
    const GUEST_PANIC: &str = "panic_msg: \"";
    let text = if let Some(at) = execution_error.find(PANICKED) {
        &execution_error[at + PANICKED.len()..]
    } else {
        let at = execution_error.find(GUEST_PANIC)?;
        let rest = &execution_error[at + GUEST_PANIC.len()..];
        rest.split_once('"').map_or(rest, |(inside, _)| inside)
    };
    let (name, message) = text.split_once(": ")?;
    // The contract's error names are CamelCase identifiers; anything else is a panic
    // from elsewhere (near-sdk's own checks say e.g. "Method ... is private").
    let is_name = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric());
    is_name.then(|| (name.to_owned(), message.trim_end().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_contract_error_from_both_panic_forms() {
        assert_eq!(
            contract_panic("Smart contract panicked: Unauthorized: the caller may not do this"),
            Some(("Unauthorized".into(), "the caller may not do this".into()))
        );
        assert_eq!(
            contract_panic(
                "wasm execution failed with error: HostError(GuestPanic { panic_msg: \"BlobNotFound: no such blob\" })"
            ),
            Some(("BlobNotFound".into(), "no such blob".into()))
        );
    }

    #[test]
    fn other_failures_are_not_contract_errors() {
        assert_eq!(contract_panic("Exceeded the prepaid gas."), None);
        assert_eq!(
            contract_panic("Smart contract panicked: Method ft_on_transfer is private"),
            None
        );
        assert_eq!(
            contract_panic("WebAssembly trap: An `unreachable` opcode was executed."),
            None
        );
    }
}
