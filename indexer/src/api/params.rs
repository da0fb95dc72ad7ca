//! The API's parameter types. Each one checks a value when it is deserialized and states the
//! same constraint in the OpenAPI document ([`utoipa::ToSchema`]), so what the document allows
//! is exactly what the server accepts: a CI step fuzzes the live server against it.
//!
//! Query strings reach these through `#[serde(flatten)]`, which hands every value over as
//! text, so the numeric ones parse from strings too.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use basalt_core::Cid;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::db::{PageRequest, MAX_PAGE};

/// A base58 address: 32 to 44 characters of the Bitcoin alphabet. A well-formed string that
/// is not a 32-byte key names nothing, so it matches no row.
pub const ADDRESS_PATTERN: &str = "^[1-9A-HJ-NP-Za-km-z]{32,44}$";
/// A Basalt CID: CIDv1, raw codec, BLAKE3, base32 lower case. The character after the fixed
/// prefix and the last one carry the prefix's and the padding's fixed bits.
pub const CID_PATTERN: &str = "^bafkr4i[a-h][a-z2-7]{50}[aeimquy4]$";
/// Free text: anything but NUL, which PostgreSQL text cannot hold.
pub const TEXT_PATTERN: &str = "^[^\\x00]*$";
/// Longest free-text value accepted.
pub const MAX_TEXT_LEN: usize = 256;

const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// Deserializes through `FromStr`, so each type's rule lives in one place.
fn from_text<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr<Err = String>,
{
    struct Text<T>(std::marker::PhantomData<T>);
    impl<T: FromStr<Err = String>> Visitor<'_> for Text<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            v.parse().map_err(E::custom)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            v.to_string().parse().map_err(E::custom)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            v.to_string().parse().map_err(E::custom)
        }
    }
    deserializer.deserialize_any(Text(std::marker::PhantomData))
}

/// A string schema with a pattern and a description.
fn text_schema(pattern: &str, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
}

/// Declares a string newtype whose `FromStr` is its rule and whose schema states it.
macro_rules! text_param {
    ($name:ident, $schema:expr) => {
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                from_text(deserializer)
            }
        }
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema.into()
            }
        }
        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// A base58 address ([`ADDRESS_PATTERN`]): on either chain, how a blob is named (on Solana
/// its account's address, on NEAR `basalt_proof::blob_id`, both read like
/// `basalt_core::BlobId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address(pub String);

fn is_base58_address(s: &str) -> bool {
    (32..=44).contains(&s.len()) && s.chars().all(|c| BASE58.contains(c))
}

impl FromStr for Address {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if is_base58_address(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a base58 address"))
        }
    }
}

text_param!(
    Address,
    text_schema(ADDRESS_PATTERN, "A base58 address (a blob's id)")
);

/// A NEAR account ID: 2 to 64 characters, dot-separated parts of lower-case letters and
/// digits joined by single `-` or `_` (NEAR's own rule, as `near_sdk::AccountId` checks it).
pub const NEAR_ACCOUNT_PATTERN: &str = "^(([a-z0-9]+[-_])*[a-z0-9]+\\.)*([a-z0-9]+[-_])*[a-z0-9]+$";

fn is_near_account(s: &str) -> bool {
    (2..=64).contains(&s.len()) && has_near_account_shape(s)
}

/// Whether `s` matches [`NEAR_ACCOUNT_PATTERN`] (the length aside).
fn has_near_account_shape(s: &str) -> bool {
    s.split('.').all(|part| {
        part.split(['-', '_']).all(|word| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
    })
}

/// An EVM address: `0x` and 40 hex digits, in any case (EIP-55 mixes them as a checksum).
/// An EVM index stores addresses in lower case, so it is read in lower case.
pub const EVM_ADDRESS_PATTERN: &str = "^0x[0-9a-fA-F]{40}$";

/// `s` in the EVM index's form (lower case), if it is an EVM address.
fn evm_address(s: &str) -> Option<String> {
    let hex = s.strip_prefix("0x")?;
    (hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

fn evm_address_schema(description: &str) -> ObjectBuilder {
    text_schema(EVM_ADDRESS_PATTERN, description)
}

/// A wallet or provider as the indexed chain names it: a base58 address on Solana
/// ([`ADDRESS_PATTERN`]), an account ID on NEAR ([`NEAR_ACCOUNT_PATTERN`]), a hex address
/// on an EVM chain ([`EVM_ADDRESS_PATTERN`]). Every form is accepted on every index; on
/// another chain's index it matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account(pub String);

impl FromStr for Account {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(evm) = evm_address(s) {
            Ok(Self(evm))
        } else if is_base58_address(s) || is_near_account(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is neither a base58 address (Solana), a NEAR account ID nor a hex \
                 address (EVM)"
            ))
        }
    }
}

/// The Solana form and the NEAR form of a name, each described.
fn per_chain(solana: ObjectBuilder, near: ObjectBuilder, description: &str) -> AnyOfBuilder {
    AnyOfBuilder::new()
        .item(solana)
        .item(near)
        .description(Some(description))
}

fn near_account_schema(description: &str) -> ObjectBuilder {
    text_schema(NEAR_ACCOUNT_PATTERN, description)
        .min_length(Some(2))
        .max_length(Some(64))
}

text_param!(
    Account,
    per_chain(
        text_schema(ADDRESS_PATTERN, "On a Solana index: a base58 address"),
        near_account_schema("On a NEAR index: an account ID"),
        "A wallet or provider, as the indexed chain names it"
    )
    .item(evm_address_schema("On an EVM index: a hex address"))
);

/// `requester:nonce`, how a NEAR index names a job: the requester's account ID and the
/// job's nonce (decimal digits).
pub const NEAR_JOB_PATTERN: &str =
    "^(([a-z0-9]+[-_])*[a-z0-9]+\\.)*([a-z0-9]+[-_])*[a-z0-9]+:[0-9]{1,20}$";

/// The longest `requester:nonce`: a 64-character account, `:`, 20 digits.
const MAX_NEAR_JOB_LEN: usize = 85;

/// Whether `s` matches [`NEAR_JOB_PATTERN`] within [`MAX_NEAR_JOB_LEN`]: what the schema
/// states, so a requester of the wrong length is a job that matches nothing, not a 400.
fn is_near_job(s: &str) -> bool {
    s.len() <= MAX_NEAR_JOB_LEN
        && s.rsplit_once(':').is_some_and(|(requester, nonce)| {
            has_near_account_shape(requester)
                && (1..=20).contains(&nonce.len())
                && nonce.bytes().all(|b| b.is_ascii_digit())
        })
}

fn near_job_schema(description: &str) -> ObjectBuilder {
    text_schema(NEAR_JOB_PATTERN, description).max_length(Some(MAX_NEAR_JOB_LEN))
}

/// A job as the indexed chain names it: its account's base58 address on Solana (its id in
/// base58 on an EVM chain), `requester:nonce` on NEAR ([`NEAR_JOB_PATTERN`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobKey(pub String);

impl FromStr for JobKey {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if is_base58_address(s) || is_near_job(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is neither a job's base58 address (Solana) nor requester:nonce (NEAR)"
            ))
        }
    }
}

text_param!(
    JobKey,
    per_chain(
        text_schema(
            ADDRESS_PATTERN,
            "On a Solana index: the job account's base58 address"
        ),
        near_job_schema("On a NEAR index: requester:nonce"),
        "A job, as the indexed chain names it"
    )
);

/// Anything an event names, as the indexed chain names it: an address or account
/// ([`Account`], an EVM address read in lower case) or a NEAR job ([`JobKey`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named(pub String);

impl FromStr for Named {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(evm) = evm_address(s) {
            Ok(Self(evm))
        } else if is_base58_address(s) || is_near_account(s) || is_near_job(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is neither a base58 address (Solana), a NEAR account ID or job nor a \
                 hex address (EVM)"
            ))
        }
    }
}

text_param!(
    Named,
    AnyOfBuilder::new()
        .item(text_schema(
            ADDRESS_PATTERN,
            "On a Solana index: a base58 address"
        ))
        .item(near_account_schema("On a NEAR index: an account ID"))
        .item(near_job_schema("On a NEAR index: a job, requester:nonce"))
        .item(evm_address_schema("On an EVM index: a hex address"))
        .description(Some("An account, blob or job an event names"))
);

/// A Basalt CID ([`CID_PATTERN`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobCid(pub String);

impl FromStr for BlobCid {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Cid::from_str(s)
            .map(|c| Self(c.to_string()))
            .map_err(|e| format!("{s:?} is not a Basalt CID ({e})"))
    }
}

text_param!(
    BlobCid,
    text_schema(
        CID_PATTERN,
        "A blob's CID (CIDv1, raw, BLAKE3, base32: bafkr4i...)"
    )
);

/// Free text ([`TEXT_PATTERN`], at most [`MAX_TEXT_LEN`] bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(pub String);

impl FromStr for Text {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.contains('\0') {
            Err("text may not contain NUL".into())
        } else if s.chars().count() > MAX_TEXT_LEN {
            Err(format!("text is longer than {MAX_TEXT_LEN} characters"))
        } else {
            Ok(Self(s.to_owned()))
        }
    }
}

text_param!(
    Text,
    text_schema(TEXT_PATTERN, "Free text").max_length(Some(MAX_TEXT_LEN))
);

/// Items per page: 1 to [`MAX_PAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub u32);

impl FromStr for Limit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(Self(n)),
            _ => Err(format!("limit={s}: expected 1 to {MAX_PAGE}")),
        }
    }
}

text_param!(
    Limit,
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(1))
        .maximum(Some(MAX_PAGE))
        .description(Some("Items per page (default 50)"))
);

/// An event id: where a list ordered by event id continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventId(pub i64);

impl FromStr for EventId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Self(n)),
            _ => Err(format!("after={s}: expected an event id (0 or more)")),
        }
    }
}

text_param!(
    EventId,
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .maximum(Some(i64::MAX))
        .description(Some("An event id"))
);

/// An event's type name, one of [`super::openapi::event_kinds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventKind(pub String);

impl FromStr for EventKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if super::openapi::event_kinds().contains(&s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "kind={s}: not an event of the program or the contract (see /openapi.json)"
            ))
        }
    }
}

text_param!(
    EventKind,
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(super::openapi::event_kinds().iter().copied()))
        .description(Some("An event's type name"))
);

/// How many generations a lineage walk follows: 1 to [`MAX_DEPTH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth(pub i32);

/// The deepest lineage walk one request asks for.
pub const MAX_DEPTH: i32 = 1_000;

impl FromStr for Depth {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<i32>() {
            Ok(n) if (1..=MAX_DEPTH).contains(&n) => Ok(Self(n)),
            _ => Err(format!("depth={s}: expected 1 to {MAX_DEPTH}")),
        }
    }
}

text_param!(
    Depth,
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(1))
        .maximum(Some(MAX_DEPTH))
        .description(Some("Generations to follow (default 100)"))
);

/// A version's place in its dataset's history: where a list of versions continues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seq(pub i64);

impl FromStr for Seq {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Self(n)),
            _ => Err(format!(
                "after={s}: expected a version's sequence number (0 or more)"
            )),
        }
    }
}

text_param!(
    Seq,
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(0))
        .maximum(Some(i64::MAX))
        .description(Some("A version's sequence number"))
);

/// Paging of a dataset's versions, newest first.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeqPage {
    /// The `next` value of the previous page.
    #[param(inline)]
    pub after: Option<Seq>,
    #[param(inline)]
    pub limit: Option<Limit>,
}

impl From<SeqPage> for PageRequest {
    fn from(p: SeqPage) -> Self {
        Self {
            after: p.after.map(|a| a.0.to_string()),
            limit: p.limit.map(|l| l.0.to_string()),
        }
    }
}

/// Paging of a list ordered by a key (an address, a CID).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyPage {
    /// The `next` value of the previous page.
    #[param(inline)]
    pub after: Option<Text>,
    #[param(inline)]
    pub limit: Option<Limit>,
}

/// Paging of a list ordered by event id.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdPage {
    /// The `next` value of the previous page.
    #[param(inline)]
    pub after: Option<EventId>,
    #[param(inline)]
    pub limit: Option<Limit>,
}

impl From<KeyPage> for PageRequest {
    fn from(p: KeyPage) -> Self {
        Self {
            after: p.after.map(|a| a.0),
            limit: p.limit.map(|l| l.0.to_string()),
        }
    }
}

impl From<IdPage> for PageRequest {
    fn from(p: IdPage) -> Self {
        Self {
            after: p.after.map(|a| a.0.to_string()),
            limit: p.limit.map(|l| l.0.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::string::string_regex;

    use super::*;

    proptest! {
        // What the document allows, the server accepts.
        #[test]
        fn every_string_the_patterns_allow_parses(
            address in string_regex(unanchored(ADDRESS_PATTERN)).expect("pattern"),
            cid in string_regex(unanchored(CID_PATTERN)).expect("pattern"),
        ) {
            prop_assert!(address.parse::<Address>().is_ok(), "{}", address);
            prop_assert!(cid.parse::<BlobCid>().is_ok(), "{}", cid);
        }

        // And what it refuses, the server refuses: near misses of each pattern (one
        // character changed, dropped or added) parse exactly when the pattern matches.
        #[test]
        fn near_misses_parse_exactly_when_the_pattern_matches(
            seed in any::<[u8; 32]>(),
            at in 0usize..60,
            with in prop::char::any(),
            edit in 0u8..3,
        ) {
            let address = regex::Regex::new(ADDRESS_PATTERN).expect("pattern");
            let cid = regex::Regex::new(CID_PATTERN).expect("pattern");
            for (valid, re, is_ok) in [
                (bs58::encode(seed).into_string(), &address, (|s: &str| s.parse::<Address>().is_ok()) as fn(&str) -> bool),
                (Cid::of(&seed).to_string(), &cid, |s: &str| s.parse::<BlobCid>().is_ok()),
            ] {
                let mut chars: Vec<char> = valid.chars().collect();
                let i = at.min(chars.len() - 1);
                match edit {
                    0 => chars[i] = with,
                    1 => { chars.remove(i); }
                    _ => chars.insert(i, with),
                }
                let s: String = chars.into_iter().collect();
                prop_assert_eq!(is_ok(&s), re.is_match(&s), "{:?}", s);
            }
        }
    }

    proptest! {
        // NEAR names parse exactly when the document's patterns (and lengths) allow them,
        // and an account parses exactly when NEAR's own `AccountId` does.
        #[test]
        fn near_names_parse_exactly_when_their_patterns_match(
            random in "[a-z0-9._:-]{0,90}",
            account in string_regex(unanchored(NEAR_ACCOUNT_PATTERN)).expect("pattern"),
            nonce in 0u64..,
        ) {
            let account_re = regex::Regex::new(NEAR_ACCOUNT_PATTERN).expect("pattern");
            let job_re = regex::Regex::new(NEAR_JOB_PATTERN).expect("pattern");
            let job = format!("{account}:{nonce}");
            for s in [random.as_str(), account.as_str(), job.as_str()] {
                prop_assert_eq!(
                    is_near_account(s),
                    account_re.is_match(s) && (2..=64).contains(&s.len()),
                    "{:?}", s
                );
                prop_assert_eq!(
                    is_near_account(s),
                    s.parse::<near_sdk::AccountId>().is_ok(),
                    "{:?}", s
                );
                prop_assert_eq!(
                    is_near_job(s),
                    job_re.is_match(s) && s.len() <= MAX_NEAR_JOB_LEN,
                    "{:?}", s
                );
                prop_assert_eq!(s.parse::<Named>().is_ok(),
                    is_base58_address(s) || is_near_account(s) || is_near_job(s));
            }
            if (2..=64).contains(&account.len()) {
                prop_assert!(account.parse::<Account>().is_ok(), "{}", account);
            }
            if job.len() <= MAX_NEAR_JOB_LEN {
                prop_assert!(job.parse::<JobKey>().is_ok(), "{}", job);
            }
        }
    }

    proptest! {
        // EVM addresses parse in any mix of cases, to the lower case the index stores;
        // one character changed, they parse as EVM addresses exactly when the pattern
        // matches.
        #[test]
        fn evm_addresses_parse_in_any_case_to_lower_case(
            bytes in any::<[u8; 20]>(),
            upper in any::<u64>(),
            at in 0usize..42,
            with in prop::char::any(),
        ) {
            let re = regex::Regex::new(EVM_ADDRESS_PATTERN).expect("pattern");
            let hex: String = data_encoding::HEXLOWER
                .encode(&bytes)
                .chars()
                .enumerate()
                .map(|(i, c)| if upper >> i & 1 == 1 { c.to_ascii_uppercase() } else { c })
                .collect();
            let s = format!("0x{hex}");
            prop_assert!(re.is_match(&s));
            let lower = s.to_ascii_lowercase();
            prop_assert_eq!(s.parse::<Account>(), Ok(Account(lower.clone())));
            prop_assert_eq!(s.parse::<Named>(), Ok(Named(lower)));
            let mut chars: Vec<char> = s.chars().collect();
            chars[at] = with;
            let t: String = chars.into_iter().collect();
            prop_assert_eq!(evm_address(&t).is_some(), re.is_match(&t), "{:?}", t);
        }
    }

    /// A whole-string pattern without its anchors, for proptest's generator (which
    /// produces whole strings and does not take anchors).
    fn unanchored(pattern: &str) -> &str {
        pattern.trim_start_matches('^').trim_end_matches('$')
    }

    #[test]
    fn real_cids_and_keys_match_the_patterns() {
        for i in 0..64u8 {
            let cid = Cid::of(&[i]).to_string();
            assert!(cid.parse::<BlobCid>().is_ok(), "{cid}");
            assert!(cid.starts_with("bafkr4i") && cid.len() == 59, "{cid}");
            let key = bs58::encode([i; 32]).into_string();
            assert!(key.parse::<Address>().is_ok(), "{key}");
        }
        assert!("bafkr4i".parse::<BlobCid>().is_err());
        assert!("0OIl".repeat(10).parse::<Address>().is_err());
        assert_eq!("500".parse::<Limit>(), Ok(Limit(500)));
        assert!("0".parse::<Limit>().is_err() && "501".parse::<Limit>().is_err());
        assert!("-1".parse::<EventId>().is_err());
        assert!("a\0b".parse::<Text>().is_err());
    }
}
