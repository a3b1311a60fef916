//! Sealed tokens: small claims encrypted and authenticated with XChaCha20-Poly1305, and the
//! key ring that seals and opens them.
//!
//! A token is what a member's browser, or a vendor acting for a member, hands back to prove
//! something the server said earlier (a session, the right to charge, an entitlement), without
//! the server keeping a row per token and without the holder being able to read or change it.
//!
//! Wire layout, before base64url without padding:
//! `version: u8 = 1 | purpose: u8 | key_id: u32 BE | vendor: u64 BE | nonce: [u8; 24] |
//! ciphertext | tag: [u8; 16]`. The 14-byte header (version, purpose, key id, vendor) is the
//! associated data, so none of it can be changed without the tag failing. The account id
//! travels only inside the ciphertext: a vendor holding a buyer token learns nothing about
//! the member.
//!
//! XChaCha20 rather than ChaCha20: its 24-byte nonce can be drawn at random for every token
//! under one long-lived key, where a random 12-byte nonce would collide too soon (STYLE
//! §3.10). A counter nonce was rejected because it would need durable state per key.
//!
//! This module does no I/O in `seal` and `open`, reads no clock (`now_ms` is an argument)
//! and draws randomness only from the generator it is given. It must not depend on the
//! domain core, actors, storage or HTTP. Key files are read and written only by the
//! `TokenKeys` constructors, at start-up or from an operator command.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{Key, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::{
    KeyFileError, Replace, create_key_dir, parse_hex_32, push_hex, read_key_file, write_key_file,
};

/// Wire format version; a future layout gets a new number so old tokens are refused cleanly.
const VERSION: u8 = 1;
/// Version, purpose, key id and vendor: the part in the clear, bound as associated data.
pub(crate) const HEADER_BYTES: usize = 1 + 1 + 4 + 8;
/// XChaCha20 nonce length; random per token.
pub(crate) const NONCE_BYTES: usize = 24;
/// Poly1305 tag length.
const TAG_BYTES: usize = 16;
/// Largest encoded claims `open` accepts. It sizes `open`'s stack buffer, which is what keeps
/// `open` free of heap allocation; raise it if a claims type grows past it.
pub const CLAIMS_BYTES_MAX: usize = 64;
/// Largest decoded token.
const WIRE_BYTES_MAX: usize = HEADER_BYTES + NONCE_BYTES + CLAIMS_BYTES_MAX + TAG_BYTES;
/// Smallest decoded token (empty claims).
const WIRE_BYTES_MIN: usize = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;
/// Longest token string `open` will look at: base64url without padding of `WIRE_BYTES_MAX`.
/// The HTTP layer can use it to bound a header or field before calling `open`.
pub const TOKEN_CHARS_MAX: usize = (WIRE_BYTES_MAX * 4).div_ceil(3);

const _: () = assert!(SessionClaims::ENCODED_BYTES <= CLAIMS_BYTES_MAX);
const _: () = assert!(BuyerClaims::ENCODED_BYTES <= CLAIMS_BYTES_MAX);
const _: () = assert!(AccessClaims::ENCODED_BYTES <= CLAIMS_BYTES_MAX);

/// Whether this build selected poly1305's portable backend (`--cfg poly1305_force_soft`,
/// set in `.cargo/config.toml`). Its AVX2 backend makes every `open` about 4-5x slower here,
/// and the flag is silently lost when `RUSTFLAGS` is set in the environment (it replaces
/// the config's `rustflags`) or cargo runs from outside the repository, so start-up can
/// log this and benches can print it.
#[allow(
    unexpected_cfgs,
    reason = "set by .cargo/config.toml for poly1305; not declared in Cargo.toml"
)]
pub const POLY1305_FORCE_SOFT: bool = cfg!(poly1305_force_soft);

/// Key ids and raw keys as read from or written to the key file, ascending by unique id.
/// The raw keys are zeroized when the ring is dropped.
type Ring = Vec<(u32, Zeroizing<[u8; 32]>)>;

/// File name of the token key ring inside the key directory.
const TOKEN_KEY_FILE: &str = "token.keys";
/// Id of the first key in a new key ring.
const FIRST_KEY_ID: u32 = 1;

/// What a token is for. It travels in the clear and is bound as associated data, so a token
/// issued for one purpose can never be accepted as another (a session token is not a buyer
/// token even though both name the same session).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// A member's browser or API session.
    Session = 1,
    /// Lets one vendor charge the member.
    Buyer = 2,
    /// Single-use proof of an entitlement for one vendor.
    Access = 3,
    /// An operator's back-office session.
    Operator = 4,
    /// A vendor admin's session in their vendor's back office.
    VendorAdmin = 5,
    /// A security question asked of a member's session, to answer once.
    StepUpChallenge = 6,
    /// A right answer: lets the session's sensitive changes through for a while.
    StepUp = 7,
}

impl Purpose {
    /// The purpose byte on the wire (a `match`, because `as` casts are banned).
    pub const fn to_byte(self) -> u8 {
        match self {
            Purpose::Session => 1,
            Purpose::Buyer => 2,
            Purpose::Access => 3,
            Purpose::Operator => 4,
            Purpose::VendorAdmin => 5,
            Purpose::StepUpChallenge => 6,
            Purpose::StepUp => 7,
        }
    }

    /// The purpose named by a wire byte, or `None` for a byte no purpose uses.
    pub const fn from_byte(byte: u8) -> Option<Purpose> {
        match byte {
            1 => Some(Purpose::Session),
            2 => Some(Purpose::Buyer),
            3 => Some(Purpose::Access),
            4 => Some(Purpose::Operator),
            5 => Some(Purpose::VendorAdmin),
            6 => Some(Purpose::StepUpChallenge),
            7 => Some(Purpose::StepUp),
            _ => None,
        }
    }
}

/// What a token carries inside its ciphertext. Each claims type has exactly one purpose, so
/// `open::<BuyerClaims>` can only ever return buyer claims.
pub trait Claims: Sized {
    /// The purpose written into (and required from) the header of tokens with these claims.
    const PURPOSE: Purpose;
    /// Appends the claims to `out` as fixed-size big-endian fields.
    fn encode(&self, out: &mut Vec<u8>);
    /// Reads claims written by `encode`; `None` for any other length or content.
    fn decode(bytes: &[u8]) -> Option<Self>;
    /// Unix milliseconds from which the token is refused as `Expired`.
    fn expires_at_ms(&self) -> u64;
    /// The vendor the claims themselves name, if any. `seal` asserts it equals the header's
    /// vendor and `open` refuses a mismatch, so the copy inside and the copy in the clear
    /// cannot disagree. The default, `None`, means the claims do not name a vendor.
    fn vendor(&self) -> Option<u64> {
        None
    }
}

/// A member's browser/API session: names server-side session state; the account actor
/// decides validity (a logout or password change ends it before `expires_at_ms`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionClaims {
    /// The member account the session belongs to, so the request goes to its actor.
    pub account: u64,
    /// The login (credential use) that opened the session, so one login can be revoked.
    pub login: u64,
    /// The server-side session the actor checks (open, stepped-up, locked).
    pub session: u64,
    /// Unix milliseconds from which the token is refused without asking the actor.
    pub expires_at_ms: u64,
    /// The login is the account's holder. A login's role never changes, so the router can
    /// refuse a sub-member's holder-only call before any work; the actor checks it again.
    pub holder: bool,
}

impl SessionClaims {
    /// Encoded length: five `u64` fields.
    pub const ENCODED_BYTES: usize = 5 * 8;
}

impl Claims for SessionClaims {
    const PURPOSE: Purpose = Purpose::Session;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_u64s(
            out,
            &[
                self.account,
                self.login,
                self.session,
                self.expires_at_ms,
                u64::from(self.holder),
            ],
        );
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        // Four fields: a token sealed before sub-members existed, when every login was its
        // account's holder.
        if let Some([account, login, session, expires_at_ms]) = decode_u64s(bytes) {
            return Some(SessionClaims {
                account,
                login,
                session,
                expires_at_ms,
                holder: true,
            });
        }
        let [account, login, session, expires_at_ms, holder] = decode_u64s(bytes)?;
        Some(SessionClaims {
            account,
            login,
            session,
            expires_at_ms,
            holder: match holder {
                0 => false,
                1 => true,
                _ => return None,
            },
        })
    }

    fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    /// Session tokens are not scoped to a vendor: their header vendor is always 0.
    fn vendor(&self) -> Option<u64> {
        Some(0)
    }
}

/// A security question asked of a member's session: which one, until when. Stateless: the
/// account counts the answers, so answering one challenge many times locks like answering
/// many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepUpChallengeClaims {
    /// The member account.
    pub account: u64,
    /// The login asked.
    pub login: u64,
    /// The session asked in: the answer counts for it only.
    pub session: u64,
    /// The question's place among the account's questions.
    pub question: u64,
    /// Unix milliseconds from which the challenge is refused.
    pub expires_at_ms: u64,
}

impl Claims for StepUpChallengeClaims {
    const PURPOSE: Purpose = Purpose::StepUpChallenge;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_u64s(
            out,
            &[
                self.account,
                self.login,
                self.session,
                self.question,
                self.expires_at_ms,
            ],
        );
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let [account, login, session, question, expires_at_ms] = decode_u64s(bytes)?;
        Some(StepUpChallengeClaims {
            account,
            login,
            session,
            question,
            expires_at_ms,
        })
    }

    fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    fn vendor(&self) -> Option<u64> {
        Some(0)
    }
}

/// A step-up passed: the `Step-Up` header of a retried sensitive change in the same session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepUpClaims {
    /// The member account.
    pub account: u64,
    /// The login that answered.
    pub login: u64,
    /// The session it answered in: the token is good for it only.
    pub session: u64,
    /// Unix milliseconds from which the token is refused.
    pub expires_at_ms: u64,
}

impl Claims for StepUpClaims {
    const PURPOSE: Purpose = Purpose::StepUp;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_u64s(
            out,
            &[self.account, self.login, self.session, self.expires_at_ms],
        );
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let [account, login, session, expires_at_ms] = decode_u64s(bytes)?;
        Some(StepUpClaims {
            account,
            login,
            session,
            expires_at_ms,
        })
    }

    fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    fn vendor(&self) -> Option<u64> {
        Some(0)
    }
}

/// An operator's back-office session: who, until when. What they may do is looked up on
/// every call (their groups as they are now), so the token carries no functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperatorClaims {
    /// The operator.
    pub operator: u64,
    /// When the session began (Unix milliseconds), for the audit trail.
    pub issued_at_ms: u64,
    /// Unix milliseconds from which the token is refused.
    pub expires_at_ms: u64,
}

impl Claims for OperatorClaims {
    const PURPOSE: Purpose = Purpose::Operator;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_u64s(out, &[self.operator, self.issued_at_ms, self.expires_at_ms]);
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let [operator, issued_at_ms, expires_at_ms] = decode_u64s(bytes)?;
        Some(OperatorClaims {
            operator,
            issued_at_ms,
            expires_at_ms,
        })
    }

    fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    /// Operator tokens are not scoped to a vendor: their header vendor is always 0.
    fn vendor(&self) -> Option<u64> {
        Some(0)
    }
}

/// A vendor admin's session: who, for which vendor, until when. Their functions are looked
/// up on every call, so the token carries none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VendorAdminClaims {
    /// The vendor admin.
    pub admin: u64,
    /// The vendor they act for (inside the ciphertext: the header's vendor is 0, as for
    /// operators, so one open serves every vendor).
    pub vendor: u64,
    /// Unix milliseconds from which the token is refused.
    pub expires_at_ms: u64,
}

impl Claims for VendorAdminClaims {
    const PURPOSE: Purpose = Purpose::VendorAdmin;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_u64s(out, &[self.admin, self.vendor, self.expires_at_ms]);
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let [admin, vendor, expires_at_ms] = decode_u64s(bytes)?;
        Some(VendorAdminClaims {
            admin,
            vendor,
            expires_at_ms,
        })
    }

    fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    fn vendor(&self) -> Option<u64> {
        Some(0)
    }
}

/// Lets one vendor charge the member while the session is valid (the actor re-checks the
/// session, so ending the session also ends every buyer token issued under it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuyerClaims {
    /// The member account to charge.
    pub account: u64,
    /// The login the session came from, so revoking the login revokes the token.
    pub login: u64,
    /// The session the token was issued under; the actor checks it is still open.
    pub session: u64,
    /// The only vendor allowed to use the token (also bound in the header).
    pub vendor: u64,
    /// Unix milliseconds from which the token is refused.
    pub expires_at_ms: u64,
}

impl BuyerClaims {
    /// Encoded length: five `u64` fields.
    pub const ENCODED_BYTES: usize = 5 * 8;
}

impl Claims for BuyerClaims {
    const PURPOSE: Purpose = Purpose::Buyer;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_u64s(
            out,
            &[
                self.account,
                self.login,
                self.session,
                self.vendor,
                self.expires_at_ms,
            ],
        );
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let [account, login, session, vendor, expires_at_ms] = decode_u64s(bytes)?;
        Some(BuyerClaims {
            account,
            login,
            session,
            vendor,
            expires_at_ms,
        })
    }

    fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }

    fn vendor(&self) -> Option<u64> {
        Some(self.vendor)
    }
}

/// Time-variant, single-use proof of an entitlement for one vendor (the vendor is bound in
/// the header; the actor records `token_id` as used so the token works once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessClaims {
    /// The member account holding the entitlement.
    pub account: u64,
    /// The entitlement being proved (views left and expiry live with the actor).
    pub entitlement: u64,
    /// Unique per token, so the actor can refuse a second use.
    pub token_id: u64,
    /// Unix milliseconds from which the token is refused; kept short so a leaked token is
    /// soon useless.
    pub expires_at_ms: u64,
    /// The server run (`crypto::boot`) that minted the token. Spent ids of unlimited
    /// entitlements are kept only in memory, so the server refuses a token of any other
    /// run as expired rather than risk accepting a spent one again. `open` does not check
    /// it: the caller compares it with its own epoch, as this module keeps no state.
    pub boot_epoch: u64,
}

impl AccessClaims {
    /// Encoded length: five `u64` fields.
    pub const ENCODED_BYTES: usize = 5 * 8;
}

impl Claims for AccessClaims {
    const PURPOSE: Purpose = Purpose::Access;

    fn encode(&self, out: &mut Vec<u8>) {
        encode_u64s(
            out,
            &[
                self.account,
                self.entitlement,
                self.token_id,
                self.expires_at_ms,
                self.boot_epoch,
            ],
        );
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let [account, entitlement, token_id, expires_at_ms, boot_epoch] = decode_u64s(bytes)?;
        Some(AccessClaims {
            account,
            entitlement,
            token_id,
            expires_at_ms,
            boot_epoch,
        })
    }

    fn expires_at_ms(&self) -> u64 {
        self.expires_at_ms
    }
}

fn encode_u64s(out: &mut Vec<u8>, fields: &[u64]) {
    for field in fields {
        out.extend_from_slice(&field.to_be_bytes());
    }
}

/// Reads exactly `N` big-endian `u64`s; `None` for any other length.
fn decode_u64s<const N: usize>(bytes: &[u8]) -> Option<[u64; N]> {
    if bytes.len() != N * 8 {
        return None;
    }
    let mut fields = [0u64; N];
    for (field, chunk) in fields.iter_mut().zip(bytes.chunks_exact(8)) {
        *field = u64::from_be_bytes(chunk.try_into().ok()?);
    }
    Some(fields)
}

/// Why a token was refused. Each variant maps to one HTTP status and code in `http/error.rs`.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not base64url, too short or too long, an unknown version, or claims of the wrong shape
    /// after a successful decrypt. Nothing a well-behaved client sends.
    #[error("token is malformed")]
    Malformed,
    /// A valid-looking token for another purpose (a session token offered as a buyer token).
    #[error("token is for another purpose")]
    WrongPurpose,
    /// A token bound to another vendor (or, for session tokens, to any vendor): one vendor
    /// cannot replay a token it saw from another.
    #[error("token is for another vendor")]
    WrongVendor,
    /// Sealed under a key id this server does not hold (retired, or never issued here).
    #[error("token key is unknown or retired")]
    UnknownKey,
    /// The authentication tag did not verify: the token was changed or forged.
    #[error("token failed authentication")]
    Tampered,
    /// Authentic, but `now_ms` is at or past `expires_at_ms`.
    #[error("token has expired")]
    Expired,
}

/// The clear header of a token, bound as associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) version: u8,
    pub(crate) purpose: u8,
    pub(crate) key_id: u32,
    pub(crate) vendor: u64,
}

impl Header {
    fn to_bytes(self) -> [u8; HEADER_BYTES] {
        let [k0, k1, k2, k3] = self.key_id.to_be_bytes();
        let [v0, v1, v2, v3, v4, v5, v6, v7] = self.vendor.to_be_bytes();
        [
            self.version,
            self.purpose,
            k0,
            k1,
            k2,
            k3,
            v0,
            v1,
            v2,
            v3,
            v4,
            v5,
            v6,
            v7,
        ]
    }

    pub(crate) fn from_bytes(bytes: [u8; HEADER_BYTES]) -> Header {
        let [
            version,
            purpose,
            k0,
            k1,
            k2,
            k3,
            v0,
            v1,
            v2,
            v3,
            v4,
            v5,
            v6,
            v7,
        ] = bytes;
        Header {
            version,
            purpose,
            key_id: u32::from_be_bytes([k0, k1, k2, k3]),
            vendor: u64::from_be_bytes([v0, v1, v2, v3, v4, v5, v6, v7]),
        }
    }
}

/// The token key ring: the newest key seals, every key listed opens.
///
/// Rotation adds a key and keeps the old ones, so tokens issued before a rotation keep
/// working until an operator retires their key after the longest token TTL. There is no
/// `Debug` or `Clone`: the ciphers hold key material and zeroize it when dropped. Share one
/// ring behind an `Arc`.
pub struct TokenKeys {
    /// The key that seals new tokens: the highest id in the ring.
    newest_id: u32,
    /// Cipher for `newest_id`; checked first by `open` because most tokens use it.
    newest: XChaCha20Poly1305,
    /// Older keys that still open tokens, ascending by id. A linear scan: the ring holds a
    /// handful of keys, where a map would cost more than it saves.
    older: Vec<(u32, XChaCha20Poly1305)>,
}

impl TokenKeys {
    /// Loads `<dir>/token.keys`, creating it (and `dir`, mode 0700) with one fresh key from
    /// the operating system's generator, file mode 0600, if missing.
    ///
    /// # Errors
    /// `KeyFileError::Io` if the directory or file cannot be created, read or written;
    /// `KeyFileError::Corrupt` if the file exists but is not a key ring.
    pub fn load_or_create(dir: &Path) -> Result<TokenKeys, KeyFileError> {
        create_key_dir(dir)?;
        let path = dir.join(TOKEN_KEY_FILE);
        if let Some(keys) = read_ring(&path)? {
            return Ok(TokenKeys::from_ring(keys));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        let ring = vec![(FIRST_KEY_ID, key)];
        match write_key_file(&path, format_ring(&ring).as_bytes(), Replace::No) {
            Ok(()) => Ok(TokenKeys::from_ring(ring)),
            // Another process created the ring first: use its key, not ours.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                let keys = read_ring(&path)?.ok_or(KeyFileError::Io(error))?;
                Ok(TokenKeys::from_ring(keys))
            }
            Err(error) => Err(KeyFileError::Io(error)),
        }
    }

    /// Adds a new sealing key (new key id = max + 1) to `<dir>/token.keys`; old ids stay
    /// usable for opening. A running server keeps its ring until it reloads it.
    ///
    /// # Errors
    /// `KeyFileError::Io` if the file is missing (rotation never creates a ring: a wrong
    /// path should not silently start a new one), cannot be read or written, or the key
    /// ids are exhausted; `KeyFileError::Corrupt` if the file is not a key ring.
    pub fn rotate(
        dir: &Path,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<TokenKeys, KeyFileError> {
        let path = dir.join(TOKEN_KEY_FILE);
        let mut ring = read_existing_ring(&path)?;
        let newest_id = ring.last().map_or(0, |(id, _)| *id);
        let new_id = newest_id
            .checked_add(1)
            .ok_or_else(|| std::io::Error::other("token key ids are exhausted"))?;
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        ring.push((new_id, key));
        write_key_file(&path, format_ring(&ring).as_bytes(), Replace::Yes)?;
        Ok(TokenKeys::from_ring(ring))
    }

    /// Removes keys whose id is below `keep_from_id` from `<dir>/token.keys` (an operator
    /// runs this after the longest token TTL has passed since the last rotation). The newest
    /// key is never removed, whatever `keep_from_id` says, because it is the one that seals.
    ///
    /// # Errors
    /// `KeyFileError::Io` if the file is missing or cannot be read or written;
    /// `KeyFileError::Corrupt` if the file is not a key ring.
    pub fn retire_before(dir: &Path, keep_from_id: u32) -> Result<TokenKeys, KeyFileError> {
        let path = dir.join(TOKEN_KEY_FILE);
        let mut ring = read_existing_ring(&path)?;
        let newest_id = ring.last().map_or(0, |(id, _)| *id);
        let keep_from_id = keep_from_id.min(newest_id);
        ring.retain(|(id, _)| *id >= keep_from_id);
        write_key_file(&path, format_ring(&ring).as_bytes(), Replace::Yes)?;
        Ok(TokenKeys::from_ring(ring))
    }

    /// Builds a ring from raw keys without touching the disk, for tests and benches. The
    /// highest id seals. Duplicate ids keep the last key given.
    ///
    /// # Panics
    /// If `keys` is empty: a ring with no key cannot seal, and this is test-only setup.
    pub fn from_keys_for_tests(keys: Vec<(u32, [u8; 32])>) -> TokenKeys {
        assert!(!keys.is_empty(), "a token key ring needs at least one key");
        let mut ring: Ring = keys
            .into_iter()
            .map(|(id, key)| (id, Zeroizing::new(key)))
            .collect();
        ring.reverse();
        ring.sort_by_key(|(id, _)| *id);
        ring.dedup_by_key(|(id, _)| *id);
        TokenKeys::from_ring(ring)
    }

    /// The id of the key that seals new tokens, for start-up logs and metrics.
    pub fn sealing_key_id(&self) -> u32 {
        self.newest_id
    }

    /// Seals `claims` for `vendor` (0 for tokens not scoped to a vendor) under the newest key
    /// with a fresh random nonce, and returns the base64url token.
    ///
    /// # Panics
    /// If the claims name a vendor other than `vendor` (`Claims::vendor`), or encode to more
    /// than `CLAIMS_BYTES_MAX` bytes: both are bugs in the caller or the claims type, and a
    /// token that `open` would refuse must not be handed out.
    pub fn seal<C: Claims>(
        &self,
        claims: &C,
        vendor: u64,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> String {
        if let Some(claims_vendor) = claims.vendor() {
            assert_eq!(
                claims_vendor, vendor,
                "claims and header name different vendors"
            );
        }
        let header = Header {
            version: VERSION,
            purpose: C::PURPOSE.to_byte(),
            key_id: self.newest_id,
            vendor,
        }
        .to_bytes();
        let mut nonce = [0u8; NONCE_BYTES];
        rng.fill_bytes(&mut nonce);

        let mut wire = Vec::with_capacity(WIRE_BYTES_MAX);
        wire.extend_from_slice(&header);
        wire.extend_from_slice(&nonce);
        claims.encode(&mut wire);
        let plaintext = wire
            .get_mut(HEADER_BYTES + NONCE_BYTES..)
            .unwrap_or_default();
        assert!(
            plaintext.len() <= CLAIMS_BYTES_MAX,
            "claims encode to more than CLAIMS_BYTES_MAX"
        );
        #[expect(
            clippy::expect_used,
            reason = "encryption fails only for plaintexts over 256 GiB; ours is at most 64 bytes"
        )]
        let tag = self
            .newest
            .encrypt_in_place_detached(&XNonce::from(nonce), &header, plaintext)
            .expect("XChaCha20-Poly1305 accepts any plaintext under 256 GiB");
        wire.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(&wire)
    }

    /// Opens a token sealed for `vendor` (0 for tokens not scoped to a vendor) and returns
    /// its claims if it is authentic, of purpose `C::PURPOSE`, and not expired at `now_ms`.
    ///
    /// Checks run in this order, and the first failure is returned: decoding, length and
    /// version; purpose; vendor in the clear; key id; authentication; claims shape; expiry.
    /// The clear fields are checked before decrypting because they are cheap and revealing
    /// them tells an attacker nothing the token did not already show. `open` allocates
    /// nothing: the token is decoded and decrypted in a stack buffer.
    ///
    /// # Errors
    /// One `TokenError` variant per failed check, as listed above.
    pub fn open<C: Claims>(&self, token: &str, vendor: u64, now_ms: u64) -> Result<C, TokenError> {
        if token.len() > TOKEN_CHARS_MAX {
            return Err(TokenError::Malformed);
        }
        let mut buffer = [0u8; WIRE_BYTES_MAX];
        let decoded_len = URL_SAFE_NO_PAD
            .decode_slice(token, &mut buffer)
            .map_err(|_| TokenError::Malformed)?;
        let wire = buffer.get_mut(..decoded_len).ok_or(TokenError::Malformed)?;
        if wire.len() < WIRE_BYTES_MIN {
            return Err(TokenError::Malformed);
        }
        let (header_bytes, rest) = wire
            .split_at_mut_checked(HEADER_BYTES)
            .ok_or(TokenError::Malformed)?;
        let (nonce, rest) = rest
            .split_at_mut_checked(NONCE_BYTES)
            .ok_or(TokenError::Malformed)?;
        let ciphertext_len = rest
            .len()
            .checked_sub(TAG_BYTES)
            .ok_or(TokenError::Malformed)?;
        let (ciphertext, tag) = rest
            .split_at_mut_checked(ciphertext_len)
            .ok_or(TokenError::Malformed)?;

        let header_array: [u8; HEADER_BYTES] = (&*header_bytes)
            .try_into()
            .map_err(|_| TokenError::Malformed)?;
        let header = Header::from_bytes(header_array);
        if header.version != VERSION {
            return Err(TokenError::Malformed);
        }
        if header.purpose != C::PURPOSE.to_byte() {
            return Err(TokenError::WrongPurpose);
        }
        if header.vendor != vendor {
            return Err(TokenError::WrongVendor);
        }
        let cipher = self.cipher(header.key_id).ok_or(TokenError::UnknownKey)?;

        let nonce: [u8; NONCE_BYTES] = (&*nonce).try_into().map_err(|_| TokenError::Malformed)?;
        let tag: [u8; TAG_BYTES] = (&*tag).try_into().map_err(|_| TokenError::Malformed)?;
        cipher
            .decrypt_in_place_detached(
                &XNonce::from(nonce),
                &header_array,
                ciphertext,
                &Tag::from(tag),
            )
            .map_err(|_| TokenError::Tampered)?;

        // Decrypted in place: the buffer now holds the plaintext claims.
        let plaintext: &[u8] = ciphertext;
        let claims = C::decode(plaintext).ok_or(TokenError::Malformed)?;
        if claims
            .vendor()
            .is_some_and(|claims_vendor| claims_vendor != vendor)
        {
            // Only reachable if a sealing bug put different vendors inside and outside.
            return Err(TokenError::WrongVendor);
        }
        if now_ms >= claims.expires_at_ms() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// Seals `plaintext` as it is under a clear header the caller writes byte for byte, with
    /// the key the header names (the newest when it names none held). Only the fuzz target of
    /// `open` uses it (`crate::fuzzing`): random bytes never pass the tag, so without a way to
    /// seal arbitrary claims the checks after decryption would never see fuzzed input.
    pub(crate) fn seal_raw_for_fuzzing(
        &self,
        header: [u8; HEADER_BYTES],
        nonce: [u8; NONCE_BYTES],
        plaintext: &[u8],
    ) -> String {
        let key_id = Header::from_bytes(header).key_id;
        let cipher = self.cipher(key_id).unwrap_or(&self.newest);
        let mut wire = Vec::with_capacity(HEADER_BYTES + NONCE_BYTES + plaintext.len() + TAG_BYTES);
        wire.extend_from_slice(&header);
        wire.extend_from_slice(&nonce);
        let mut body = plaintext.to_vec();
        match cipher.encrypt_in_place_detached(&XNonce::from(nonce), &header, &mut body) {
            Ok(tag) => {
                wire.extend_from_slice(&body);
                wire.extend_from_slice(&tag);
            }
            // Unreachable under 256 GiB; an unsealed wire is simply refused by `open`.
            Err(_) => wire.extend_from_slice(plaintext),
        }
        URL_SAFE_NO_PAD.encode(&wire)
    }

    /// The cipher for `key_id`, newest first.
    fn cipher(&self, key_id: u32) -> Option<&XChaCha20Poly1305> {
        if key_id == self.newest_id {
            return Some(&self.newest);
        }
        self.older
            .iter()
            .find(|(id, _)| *id == key_id)
            .map(|(_, cipher)| cipher)
    }

    /// Builds the ring from keys sorted ascending by unique id; the last one seals.
    ///
    /// Callers guarantee a non-empty ring (`parse_ring` refuses an empty file,
    /// `from_keys_for_tests` asserts); an empty one would be a bug in this module.
    fn from_ring(mut ring: Ring) -> TokenKeys {
        let Some((newest_id, newest_key)) = ring.pop() else {
            panic!("a token key ring is never empty");
        };
        TokenKeys {
            newest_id,
            newest: cipher_for(&newest_key),
            older: ring
                .iter()
                .map(|(id, key)| (*id, cipher_for(key)))
                .collect(),
        }
    }
}

fn cipher_for(key: &[u8; 32]) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(Key::from_slice(key))
}

/// Reads and parses the ring at `path`, or `None` if the file does not exist.
fn read_ring(path: &Path) -> Result<Option<Ring>, KeyFileError> {
    match read_key_file(path)? {
        Some(text) => parse_ring(path, &text).map(Some),
        None => Ok(None),
    }
}

/// Reads and parses the ring at `path`, which must exist.
fn read_existing_ring(path: &Path) -> Result<Ring, KeyFileError> {
    read_ring(path)?.ok_or_else(|| {
        KeyFileError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("token key ring {} does not exist", path.display()),
        ))
    })
}

/// Parses `"<id> <64 hex>"` lines into keys sorted by id. Blank lines are skipped; anything
/// else, a duplicate id, or no key at all is `Corrupt`.
fn parse_ring(path: &Path, text: &str) -> Result<Ring, KeyFileError> {
    let corrupt = |line: usize| KeyFileError::Corrupt {
        path: PathBuf::from(path),
        line,
    };
    let mut ring: Ring = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if line.is_empty() {
            continue;
        }
        let (id, hex) = line.split_once(' ').ok_or(corrupt(line_number))?;
        if id.is_empty() || !id.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(corrupt(line_number));
        }
        let id: u32 = id.parse().map_err(|_| corrupt(line_number))?;
        let key = Zeroizing::new(parse_hex_32(hex).ok_or(corrupt(line_number))?);
        if ring.iter().any(|(existing, _)| *existing == id) {
            return Err(corrupt(line_number));
        }
        ring.push((id, key));
    }
    if ring.is_empty() {
        return Err(corrupt(0));
    }
    ring.sort_by_key(|(id, _)| *id);
    Ok(ring)
}

/// Formats the ring as the key file's text, in a buffer sized up front so no partial copy of
/// the keys is left behind by a reallocation.
fn format_ring(ring: &[(u32, Zeroizing<[u8; 32]>)]) -> Zeroizing<String> {
    // Per line: up to 10 digits, a space, 64 hex digits, a newline.
    let mut text = Zeroizing::new(String::with_capacity(ring.len() * 76));
    for (id, key) in ring {
        text.push_str(&id.to_string());
        text.push(' ');
        push_hex(&mut text, key.as_ref());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::os::unix::fs::PermissionsExt;

    const NOW_MS: u64 = 1_700_000_000_000;
    const VENDOR: u64 = 42;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    fn keys() -> TokenKeys {
        TokenKeys::from_keys_for_tests(vec![(1, [1; 32]), (2, [2; 32])])
    }

    fn session() -> SessionClaims {
        SessionClaims {
            account: 10,
            login: 11,
            session: 12,
            expires_at_ms: NOW_MS + 60_000,
            holder: false,
        }
    }

    fn buyer() -> BuyerClaims {
        BuyerClaims {
            account: 10,
            login: 11,
            session: 12,
            vendor: VENDOR,
            expires_at_ms: NOW_MS + 60_000,
        }
    }

    fn access() -> AccessClaims {
        AccessClaims {
            account: 10,
            entitlement: 20,
            token_id: 30,
            expires_at_ms: NOW_MS + 60_000,
            boot_epoch: 40,
        }
    }

    fn decode(token: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(token).unwrap()
    }

    fn encode(wire: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(wire)
    }

    #[test]
    fn session_round_trips() {
        let keys = keys();
        let token = keys.seal(&session(), 0, &mut rng());
        assert_eq!(keys.open::<SessionClaims>(&token, 0, NOW_MS), Ok(session()));
    }

    #[test]
    fn a_session_sealed_before_sub_members_is_a_holders_and_a_bad_role_is_refused() {
        let claims = session();
        let mut legacy = Vec::new();
        encode_u64s(
            &mut legacy,
            &[
                claims.account,
                claims.login,
                claims.session,
                claims.expires_at_ms,
            ],
        );
        assert_eq!(
            SessionClaims::decode(&legacy),
            Some(SessionClaims {
                holder: true,
                ..claims
            })
        );
        let mut current = Vec::new();
        claims.encode(&mut current);
        assert_eq!(SessionClaims::decode(&current), Some(claims));
        current[39] = 2;
        assert_eq!(SessionClaims::decode(&current), None);
    }

    #[test]
    fn buyer_round_trips() {
        let keys = keys();
        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        assert_eq!(
            keys.open::<BuyerClaims>(&token, VENDOR, NOW_MS),
            Ok(buyer())
        );
    }

    #[test]
    fn access_round_trips() {
        let keys = keys();
        let token = keys.seal(&access(), VENDOR, &mut rng());
        assert_eq!(
            keys.open::<AccessClaims>(&token, VENDOR, NOW_MS),
            Ok(access())
        );
        assert_eq!(
            decode(&token).len(),
            14 + 24 + AccessClaims::ENCODED_BYTES + 16
        );
        assert!(token.len() <= TOKEN_CHARS_MAX);
        // The epoch is carried, not checked: that is the caller's comparison.
        let other_epoch = AccessClaims {
            boot_epoch: u64::MAX,
            ..access()
        };
        let token = keys.seal(&other_epoch, VENDOR, &mut rng());
        assert_eq!(
            keys.open::<AccessClaims>(&token, VENDOR, NOW_MS),
            Ok(other_epoch)
        );
    }

    #[test]
    fn access_tokens_of_the_four_field_layout_are_malformed() {
        // What a server without `boot_epoch` minted: refused cleanly after the upgrade.
        struct FourFields;
        impl Claims for FourFields {
            const PURPOSE: Purpose = Purpose::Access;
            fn encode(&self, out: &mut Vec<u8>) {
                encode_u64s(out, &[10, 20, 30, NOW_MS + 60_000]);
            }
            fn decode(_: &[u8]) -> Option<Self> {
                Some(FourFields)
            }
            fn expires_at_ms(&self) -> u64 {
                NOW_MS + 60_000
            }
        }
        let keys = keys();
        let token = keys.seal(&FourFields, VENDOR, &mut rng());
        assert_eq!(
            keys.open::<AccessClaims>(&token, VENDOR, NOW_MS),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn wire_layout_is_as_documented() {
        let keys = keys();
        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        let wire = decode(&token);
        assert_eq!(wire.len(), 14 + 24 + BuyerClaims::ENCODED_BYTES + 16);
        assert_eq!(wire[0], 1);
        assert_eq!(wire[1], Purpose::Buyer.to_byte());
        assert_eq!(wire[2..6], 2u32.to_be_bytes());
        assert_eq!(wire[6..14], VENDOR.to_be_bytes());
        assert!(token.len() <= TOKEN_CHARS_MAX);
        assert!(!token.contains(['=', '+', '/']));
        // The account id does not appear in the clear.
        let plain = 10u64.to_be_bytes();
        assert!(!wire[38..].windows(8).any(|window| window == plain));
    }

    #[test]
    fn nonces_are_fresh() {
        let keys = keys();
        let mut rng = rng();
        let first = keys.seal(&buyer(), VENDOR, &mut rng);
        let second = keys.seal(&buyer(), VENDOR, &mut rng);
        assert_ne!(first, second);
        assert_ne!(decode(&first)[14..38], decode(&second)[14..38]);
    }

    #[test]
    fn any_changed_byte_is_refused() {
        let keys = keys();
        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        let wire = decode(&token);
        for position in 0..wire.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut changed = wire.clone();
                changed[position] ^= mask;
                let result = keys.open::<BuyerClaims>(&encode(&changed), VENDOR, NOW_MS);
                let expected = match position {
                    0 => TokenError::Malformed,
                    1 => TokenError::WrongPurpose,
                    2..=5 => TokenError::UnknownKey,
                    6..=13 => TokenError::WrongVendor,
                    _ => TokenError::Tampered,
                };
                assert_eq!(result, Err(expected), "byte {position} mask {mask:#x}");
            }
        }
    }

    #[test]
    fn header_changes_that_pass_the_clear_checks_are_tampered() {
        // Key 1 exists too, so a token relabelled from key 2 to key 1 reaches the AEAD.
        let keys = keys();
        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        let mut wire = decode(&token);
        wire[2..6].copy_from_slice(&1u32.to_be_bytes());
        assert_eq!(
            keys.open::<BuyerClaims>(&encode(&wire), VENDOR, NOW_MS),
            Err(TokenError::Tampered)
        );
    }

    #[test]
    fn any_changed_character_is_refused() {
        let keys = keys();
        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        for position in 0..token.len() {
            for replacement in ['A', 'z', '-', '_', '0', '=', '.', 'é'] {
                let mut changed: Vec<char> = token.chars().collect();
                if changed[position] == replacement {
                    continue;
                }
                changed[position] = replacement;
                let changed: String = changed.into_iter().collect();
                let result = keys.open::<BuyerClaims>(&changed, VENDOR, NOW_MS);
                assert!(result.is_err(), "position {position} -> {replacement}");
            }
        }
    }

    #[test]
    fn truncated_and_extended_tokens_are_refused() {
        let keys = keys();
        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        let wire = decode(&token);
        for len in 0..wire.len() {
            let result = keys.open::<BuyerClaims>(&encode(&wire[..len]), VENDOR, NOW_MS);
            assert!(
                matches!(result, Err(TokenError::Malformed | TokenError::Tampered)),
                "len {len}: {result:?}"
            );
        }
        let mut longer = wire.clone();
        longer.push(0);
        assert_eq!(
            keys.open::<BuyerClaims>(&encode(&longer), VENDOR, NOW_MS),
            Err(TokenError::Tampered)
        );
    }

    #[test]
    fn wrong_purpose_is_refused() {
        let keys = keys();
        let token = keys.seal(&session(), 0, &mut rng());
        assert_eq!(
            keys.open::<BuyerClaims>(&token, 0, NOW_MS),
            Err(TokenError::WrongPurpose)
        );
        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        assert_eq!(
            keys.open::<AccessClaims>(&token, VENDOR, NOW_MS),
            Err(TokenError::WrongPurpose)
        );
    }

    #[test]
    fn wrong_vendor_is_refused() {
        let keys = keys();
        let token = keys.seal(&access(), VENDOR, &mut rng());
        assert_eq!(
            keys.open::<AccessClaims>(&token, VENDOR + 1, NOW_MS),
            Err(TokenError::WrongVendor)
        );
        let token = keys.seal(&session(), 0, &mut rng());
        assert_eq!(
            keys.open::<SessionClaims>(&token, VENDOR, NOW_MS),
            Err(TokenError::WrongVendor)
        );
    }

    #[test]
    #[should_panic(expected = "different vendors")]
    fn sealing_buyer_claims_for_another_vendor_is_a_bug() {
        let _ = keys().seal(&buyer(), VENDOR + 1, &mut rng());
    }

    #[test]
    fn expiry_is_exclusive() {
        let keys = keys();
        let claims = access();
        let token = keys.seal(&claims, VENDOR, &mut rng());
        assert_eq!(
            keys.open::<AccessClaims>(&token, VENDOR, claims.expires_at_ms - 1),
            Ok(claims)
        );
        assert_eq!(
            keys.open::<AccessClaims>(&token, VENDOR, claims.expires_at_ms),
            Err(TokenError::Expired)
        );
        assert_eq!(
            keys.open::<AccessClaims>(&token, VENDOR, u64::MAX),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn unknown_key_is_refused() {
        let token = keys().seal(&buyer(), VENDOR, &mut rng());
        let other = TokenKeys::from_keys_for_tests(vec![(1, [1; 32]), (3, [3; 32])]);
        assert_eq!(
            other.open::<BuyerClaims>(&token, VENDOR, NOW_MS),
            Err(TokenError::UnknownKey)
        );
    }

    #[test]
    fn same_id_with_another_key_is_tampered() {
        let token = keys().seal(&buyer(), VENDOR, &mut rng());
        let other = TokenKeys::from_keys_for_tests(vec![(2, [9; 32])]);
        assert_eq!(
            other.open::<BuyerClaims>(&token, VENDOR, NOW_MS),
            Err(TokenError::Tampered)
        );
    }

    #[test]
    fn garbage_is_malformed() {
        let keys = keys();
        let huge = "A".repeat(1 << 20);
        let just_too_long = "A".repeat(TOKEN_CHARS_MAX + 1);
        let inputs = [
            "",
            "A",
            "not base64!",
            "====",
            "a+b/",
            "\u{0}",
            "ééééé",
            huge.as_str(),
            just_too_long.as_str(),
        ];
        for input in inputs {
            assert_eq!(
                keys.open::<BuyerClaims>(input, VENDOR, NOW_MS),
                Err(TokenError::Malformed),
                "{:?}",
                input.get(..20)
            );
        }
        // The right length of zeros: bad version.
        let zeros = encode(&[0u8; 94]);
        assert_eq!(
            keys.open::<BuyerClaims>(&zeros, VENDOR, NOW_MS),
            Err(TokenError::Malformed)
        );
        // Standard base64 (with padding) is refused too.
        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        let padded = base64::engine::general_purpose::STANDARD.encode(decode(&token));
        assert!(keys.open::<BuyerClaims>(&padded, VENDOR, NOW_MS).is_err());
    }

    #[test]
    fn largest_accepted_token_does_not_overflow_the_buffer() {
        let keys = keys();
        let mut wire = vec![0u8; WIRE_BYTES_MAX];
        wire[..14].copy_from_slice(
            &Header {
                version: VERSION,
                purpose: Purpose::Buyer.to_byte(),
                key_id: 2,
                vendor: VENDOR,
            }
            .to_bytes(),
        );
        let token = encode(&wire);
        assert_eq!(token.len(), TOKEN_CHARS_MAX);
        assert_eq!(
            keys.open::<BuyerClaims>(&token, VENDOR, NOW_MS),
            Err(TokenError::Tampered)
        );
    }

    /// Claims of a wrong length that still authenticate are `Malformed`.
    struct ShortClaims;

    impl Claims for ShortClaims {
        const PURPOSE: Purpose = Purpose::Buyer;
        fn encode(&self, out: &mut Vec<u8>) {
            out.extend_from_slice(&[1, 2, 3]);
        }
        fn decode(_: &[u8]) -> Option<Self> {
            Some(ShortClaims)
        }
        fn expires_at_ms(&self) -> u64 {
            u64::MAX
        }
    }

    #[test]
    fn authentic_claims_of_the_wrong_shape_are_malformed() {
        let keys = keys();
        let token = keys.seal(&ShortClaims, VENDOR, &mut rng());
        assert_eq!(
            keys.open::<BuyerClaims>(&token, VENDOR, NOW_MS),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn claims_decode_rejects_wrong_lengths() {
        let mut bytes = Vec::new();
        buyer().encode(&mut bytes);
        assert_eq!(BuyerClaims::decode(&bytes), Some(buyer()));
        assert_eq!(BuyerClaims::decode(&bytes[..39]), None);
        bytes.push(0);
        assert_eq!(BuyerClaims::decode(&bytes), None);
        assert_eq!(SessionClaims::decode(&[]), None);
        assert_eq!(AccessClaims::decode(&[0; 33]), None);
        // The layout before `boot_epoch` (four fields) is refused, not read as epoch 0.
        assert_eq!(AccessClaims::decode(&[0; 32]), None);
        let mut bytes = Vec::new();
        access().encode(&mut bytes);
        assert_eq!(bytes.len(), AccessClaims::ENCODED_BYTES);
        assert_eq!(bytes[32..], 40u64.to_be_bytes());
        assert_eq!(AccessClaims::decode(&bytes), Some(access()));
    }

    #[test]
    fn purpose_bytes_round_trip() {
        for purpose in [
            Purpose::Session,
            Purpose::Buyer,
            Purpose::Access,
            Purpose::Operator,
            Purpose::VendorAdmin,
            Purpose::StepUpChallenge,
            Purpose::StepUp,
        ] {
            assert_eq!(Purpose::from_byte(purpose.to_byte()), Some(purpose));
        }
        assert_eq!(Purpose::from_byte(0), None);
        assert_eq!(Purpose::from_byte(8), None);
    }

    #[test]
    fn key_file_is_created_private_and_reloads_the_same_keys() {
        let dir = tempfile::tempdir().unwrap();
        let key_dir = dir.path().join("keys");
        let keys = TokenKeys::load_or_create(&key_dir).unwrap();
        let path = key_dir.join(TOKEN_KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(&key_dir).unwrap().permissions().mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        assert_eq!(keys.sealing_key_id(), FIRST_KEY_ID);

        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 2 + 64 + 1);
        assert!(text.starts_with("1 "));

        let token = keys.seal(&buyer(), VENDOR, &mut rng());
        let reloaded = TokenKeys::load_or_create(&key_dir).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        assert_eq!(
            reloaded.open::<BuyerClaims>(&token, VENDOR, NOW_MS),
            Ok(buyer())
        );
    }

    #[test]
    fn old_tokens_open_after_rotate_and_fail_after_retire() {
        let dir = tempfile::tempdir().unwrap();
        let first = TokenKeys::load_or_create(dir.path()).unwrap();
        let old_token = first.seal(&buyer(), VENDOR, &mut rng());

        let rotated = TokenKeys::rotate(dir.path(), &mut rng()).unwrap();
        assert_eq!(rotated.sealing_key_id(), 2);
        assert_eq!(
            rotated.open::<BuyerClaims>(&old_token, VENDOR, NOW_MS),
            Ok(buyer())
        );
        let new_token = rotated.seal(&buyer(), VENDOR, &mut rng());
        assert_eq!(decode(&new_token)[2..6], 2u32.to_be_bytes());
        // The old ring cannot open tokens sealed with the new key.
        assert_eq!(
            first.open::<BuyerClaims>(&new_token, VENDOR, NOW_MS),
            Err(TokenError::UnknownKey)
        );
        let reloaded = TokenKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(reloaded.sealing_key_id(), 2);
        assert_eq!(
            reloaded.open::<BuyerClaims>(&old_token, VENDOR, NOW_MS),
            Ok(buyer())
        );

        let retired = TokenKeys::retire_before(dir.path(), 2).unwrap();
        assert_eq!(
            retired.open::<BuyerClaims>(&old_token, VENDOR, NOW_MS),
            Err(TokenError::UnknownKey)
        );
        assert_eq!(
            retired.open::<BuyerClaims>(&new_token, VENDOR, NOW_MS),
            Ok(buyer())
        );
        let reloaded = TokenKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(
            reloaded.open::<BuyerClaims>(&old_token, VENDOR, NOW_MS),
            Err(TokenError::UnknownKey)
        );
        let mode = std::fs::metadata(dir.path().join(TOKEN_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn retire_never_removes_the_sealing_key() {
        let dir = tempfile::tempdir().unwrap();
        TokenKeys::load_or_create(dir.path()).unwrap();
        TokenKeys::rotate(dir.path(), &mut rng()).unwrap();
        let retired = TokenKeys::retire_before(dir.path(), u32::MAX).unwrap();
        assert_eq!(retired.sealing_key_id(), 2);
        let token = retired.seal(&buyer(), VENDOR, &mut rng());
        let reloaded = TokenKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(
            reloaded.open::<BuyerClaims>(&token, VENDOR, NOW_MS),
            Ok(buyer())
        );
    }

    #[test]
    fn rotate_and_retire_need_an_existing_ring() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            TokenKeys::rotate(dir.path(), &mut rng()),
            Err(KeyFileError::Io(error)) if error.kind() == std::io::ErrorKind::NotFound
        ));
        assert!(matches!(
            TokenKeys::retire_before(dir.path(), 1),
            Err(KeyFileError::Io(_))
        ));
        assert!(!dir.path().join(TOKEN_KEY_FILE).exists());
    }

    #[test]
    fn corrupt_key_files_are_refused_with_the_line() {
        let good = format!("1 {}", "ab".repeat(32));
        let cases = [
            (String::new(), 0),
            ("\n\n".to_string(), 0),
            (format!("{good}\n2 {}", "ab".repeat(31)), 2),
            (format!("{good}\nx {}", "ab".repeat(32)), 2),
            (format!("{good}\n+2 {}", "ab".repeat(32)), 2),
            (format!("{good}\n{good}\n"), 2),
            (format!("{good}\n2  {}", "ab".repeat(32)), 2),
            (format!("{good} extra"), 1),
            ("garbage".to_string(), 1),
            (format!("99999999999 {}", "ab".repeat(32)), 1),
        ];
        for (text, line) in cases {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(TOKEN_KEY_FILE), &text).unwrap();
            match TokenKeys::load_or_create(dir.path()) {
                Err(KeyFileError::Corrupt { line: got, path }) => {
                    assert_eq!(got, line, "{text:?}");
                    assert_eq!(path, dir.path().join(TOKEN_KEY_FILE));
                }
                Err(other) => panic!("{text:?}: {other}"),
                Ok(_) => panic!("{text:?} loaded"),
            }
        }
    }

    #[test]
    fn key_file_with_blank_lines_and_any_order_loads() {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("\n5 {}\n\n3 {}\n", "05".repeat(32), "03".repeat(32));
        std::fs::write(dir.path().join(TOKEN_KEY_FILE), text).unwrap();
        let keys = TokenKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(keys.sealing_key_id(), 5);
        let expected = TokenKeys::from_keys_for_tests(vec![(3, [3; 32]), (5, [5; 32])]);
        let token = expected.seal(&buyer(), VENDOR, &mut rng());
        assert_eq!(
            keys.open::<BuyerClaims>(&token, VENDOR, NOW_MS),
            Ok(buyer())
        );
    }

    #[test]
    fn from_keys_for_tests_uses_the_highest_id() {
        let keys = TokenKeys::from_keys_for_tests(vec![(9, [9; 32]), (4, [4; 32])]);
        assert_eq!(keys.sealing_key_id(), 9);
    }
}
