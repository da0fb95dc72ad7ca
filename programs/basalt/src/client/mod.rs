//! What off-chain code needs to talk to the program without hand-assembling anything:
//! PDA addresses ([`pda`]), instruction builders ([`ix`]), account decoding and event
//! decoding ([`decode`]), the read decision a node applies to fetched accounts
//! ([`access`]), and the program's errors by code ([`errors`]). Pure functions: fetching
//! bytes over RPC is the caller's business (any `getAccountInfo` / `getTransaction` client
//! will do).

pub mod access;
pub mod decode;
pub mod errors;
pub mod ix;
pub mod pda;
