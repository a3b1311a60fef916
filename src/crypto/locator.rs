//! Sealed locators: ids the server hands out that say, to the server only, where the thing
//! they name lives, so a lookup goes straight to the right account without an index.
//!
//! An authorization id is `auth_` followed by base64url (no padding) of AES-256-SIV
//! (RFC 5297) over `account: u64 BE | authorization: u64 BE`, with the fixed purpose label
//! `AUTHORIZATION_LABEL` as the only associated data. The 32 sealed bytes are the 16-byte
//! synthetic IV, which is also the tag, then the 16 bytes of ciphertext (RFC 5297's `V || C`).
//!
//! Why deterministic authenticated encryption:
//! - Deterministic, because an idempotent retry must return the same id, and the server
//!   keeps no table of issued ids to look it up in. XChaCha20-Poly1305 with a random nonce
//!   (as `token` uses) would give a new string every time.
//! - Encryption, because the vendor must learn nothing: not the account, and not whether
//!   two ids belong to the same member. SIV's IV is a PRF of the whole plaintext, so ids of
//!   the same account share no bytes. An HMAC would hide as well but cannot be reversed into
//!   a route; `account || authorization` in the clear (or merely encoded) leaks both.
//! - Authenticated, because a made-up or altered id must be refused here, before it costs an
//!   account load. A bare 16-byte block cipher (AES of the 16 bytes, 22 characters) was
//!   rejected: every string would decrypt to some route, and nothing would bind the purpose.
//!
//! The label is associated data so a locator of another kind (its own label) can never be
//! opened as an authorization, even under the same key. The second kind is the member
//! reference a vendor sees (`mref_`): the same construction over `account | vendor` under
//! `MEMBER_REF_LABEL`. Stable for the pair (a vendor recognises a returning member),
//! unrelated across vendors (two vendors cannot join their customer lists on it), and
//! openable by the server alone, so a vendor can name a member (to give it an incentive)
//! without the server keeping a table of the references it handed out. Equal plaintexts give equal
//! ids, which is the point; SIV reveals nothing else.
//!
//! This module must not depend on the domain core, actors, storage or HTTP; it reads no
//! clock, draws no randomness outside `LocatorKey::load_or_create` and logs nothing. The key
//! type has no `Debug` and is zeroized on drop (STYLE §3.10).

use std::path::Path;

use aes_siv::siv::Aes256Siv;
use aes_siv::{Key, KeyInit, Tag};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::Mutex;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{KeyFileError, load_or_create_hex_key};

/// File name of the locator key inside the key directory.
const LOCATOR_KEY_FILE: &str = "locator.key";
/// AES-256-SIV key length: one 256-bit key for S2V (CMAC), one for CTR (RFC 5297 §2.2).
const KEY_BYTES: usize = 64;
/// Associated data of authorization locators. Versioned, so a future layout gets a new
/// label and old ids are refused cleanly instead of opening to the wrong values.
const AUTHORIZATION_LABEL: &[u8] = b"farthing/authorization/v1";
/// Prefix of every authorization id, so vendors and support staff can tell it from others.
pub const AUTHORIZATION_PREFIX: &str = "auth_";
/// Associated data of member references.
const MEMBER_REF_LABEL: &[u8] = b"farthing/member-ref/v1";
/// Prefix of every member reference.
pub const MEMBER_REF_PREFIX: &str = "mref_";
/// Associated data of dispute ids: a dispute id never opens as an authorization id.
const DISPUTE_LABEL: &[u8] = b"farthing/dispute/v1";
/// Prefix of every dispute id. A dispute is named by the disputed purchase (one each).
pub const DISPUTE_PREFIX: &str = "dsp_";
/// Plaintext length: the account and the authorization, each a big-endian `u64`.
const PLAINTEXT_BYTES: usize = 8 + 8;
/// Synthetic IV (and tag) length.
const TAG_BYTES: usize = 16;
/// Sealed length: the synthetic IV, then the ciphertext.
const SEALED_BYTES: usize = TAG_BYTES + PLAINTEXT_BYTES;
/// Length of the base64url part of an id.
const SEALED_CHARS: usize = (SEALED_BYTES * 4).div_ceil(3);
/// Length of every authorization id. `open_authorization` refuses any other length before
/// decoding, and the HTTP layer can bound a path segment with it.
pub const AUTHORIZATION_ID_CHARS: usize = AUTHORIZATION_PREFIX.len() + SEALED_CHARS;

const _: () = assert!(SEALED_CHARS == 43);
const _: () = assert!(AUTHORIZATION_ID_CHARS == 48);
/// Length of every member reference.
pub const MEMBER_REF_CHARS: usize = MEMBER_REF_PREFIX.len() + SEALED_CHARS;

/// The key behind sealed locators: one per installation, never rotated, because vendors
/// store the ids and rotating it would make every stored id unopenable.
///
/// No `Debug`, no `Clone`, zeroized on drop. Share one key behind an `Arc`.
pub struct LocatorKey {
    /// The raw AES-256-SIV key.
    key: [u8; KEY_BYTES],
    /// Ciphers built from `key`, lent out one per call: aes-siv's `Siv` needs `&mut self`
    /// (its CMAC keeps state), and building one (two AES key expansions and CMAC's subkeys)
    /// for every call was about a quarter of a seal (`cargo bench --bench token -- locator`:
    /// 770-850 ns with a cipher built per call, 590-700 ns with one kept). A single
    /// `Mutex<Aes256Siv>` would serialize every seal and open across threads; here the lock
    /// is held only to take or return a cipher, and a call that finds none builds one. At
    /// most `SPARE_CIPHERS_MAX` are kept.
    spare_ciphers: Mutex<Vec<Aes256Siv>>,
}

/// Ciphers kept for reuse: more than the threads that seal or open at once is never needed.
const SPARE_CIPHERS_MAX: usize = 16;

impl LocatorKey {
    /// Loads `<dir>/locator.key` (128 hex digits and a newline), creating it (and `dir`,
    /// mode 0700) with a fresh key from the operating system's generator, file mode 0600,
    /// if missing.
    ///
    /// # Errors
    /// `KeyFileError::Io` if the directory or file cannot be created or read;
    /// `KeyFileError::Corrupt` (line 1) if the file does not hold exactly one key.
    pub fn load_or_create(dir: &Path) -> Result<LocatorKey, KeyFileError> {
        let key = load_or_create_hex_key::<KEY_BYTES>(dir, LOCATOR_KEY_FILE)?;
        Ok(LocatorKey::from_key(*key))
    }

    /// Builds a key from raw bytes without touching the disk, for tests and benches.
    pub fn from_bytes_for_tests(key: [u8; KEY_BYTES]) -> LocatorKey {
        LocatorKey::from_key(key)
    }

    fn from_key(key: [u8; KEY_BYTES]) -> LocatorKey {
        LocatorKey {
            key,
            spare_ciphers: Mutex::new(Vec::new()),
        }
    }

    /// The id vendors see for authorization `authorization` of member `account`: `auth_`
    /// and 43 characters of base64url. The same pair always gives the same id.
    pub fn seal_authorization(&self, account: u64, authorization: u64) -> String {
        self.seal(
            AUTHORIZATION_LABEL,
            AUTHORIZATION_PREFIX,
            account,
            authorization,
        )
    }

    /// The reference vendor `vendor` sees for member `account`: `mref_` and 43 characters of
    /// base64url, the same for the same pair.
    pub fn seal_member_ref(&self, account: u64, vendor: u64) -> String {
        self.seal(MEMBER_REF_LABEL, MEMBER_REF_PREFIX, account, vendor)
    }

    /// The account and vendor a member reference was sealed from, or `None` (as
    /// [`LocatorKey::open_authorization`] answers for anything else).
    pub fn open_member_ref(&self, text: &str) -> Option<(u64, u64)> {
        self.open(MEMBER_REF_LABEL, MEMBER_REF_PREFIX, text)
    }

    /// The id of the dispute of purchase `authorization` of member `account`: `dsp_` and 43
    /// characters of base64url, the same for the same pair.
    pub fn seal_dispute(&self, account: u64, authorization: u64) -> String {
        self.seal(DISPUTE_LABEL, DISPUTE_PREFIX, account, authorization)
    }

    /// The account and authorization a dispute id was sealed from, or `None`.
    pub fn open_dispute(&self, text: &str) -> Option<(u64, u64)> {
        self.open(DISPUTE_LABEL, DISPUTE_PREFIX, text)
    }

    fn seal(&self, label: &[u8], prefix: &str, first: u64, second: u64) -> String {
        let mut body = [0u8; PLAINTEXT_BYTES];
        let plaintext = first.to_be_bytes().into_iter().chain(second.to_be_bytes());
        for (slot, byte) in body.iter_mut().zip(plaintext) {
            *slot = byte;
        }
        #[expect(
            clippy::expect_used,
            reason = "S2V fails only for more than 126 associated data items; we pass one"
        )]
        let tag = self
            .with_cipher(|cipher| cipher.encrypt_in_place_detached([label], &mut body))
            .expect("AES-SIV accepts one associated data item");
        let mut sealed = [0u8; SEALED_BYTES];
        for (slot, byte) in sealed.iter_mut().zip(tag.iter().chain(&body)) {
            *slot = *byte;
        }
        let mut id = String::with_capacity(prefix.len() + SEALED_CHARS);
        id.push_str(prefix);
        URL_SAFE_NO_PAD.encode_string(sealed, &mut id);
        id
    }

    /// The account and authorization an id was sealed from, or `None` if `text` is not an
    /// authorization id sealed under this key: a wrong length or prefix, not canonical
    /// base64url, or a tag that does not verify (altered, forged, another key, another
    /// label). The length is checked first, so arbitrary input costs nothing to refuse.
    ///
    /// `None` does not say why: a vendor sending a bad id gets the same answer as for an
    /// unknown one, and there is nothing to learn from the difference.
    pub fn open_authorization(&self, text: &str) -> Option<(u64, u64)> {
        self.open(AUTHORIZATION_LABEL, AUTHORIZATION_PREFIX, text)
    }

    fn open(&self, label: &[u8], prefix: &str, text: &str) -> Option<(u64, u64)> {
        if text.len() != prefix.len() + SEALED_CHARS {
            return None;
        }
        let encoded = text.strip_prefix(prefix)?;
        let mut sealed = [0u8; SEALED_BYTES];
        // Rejects padding and non-zero trailing bits, so each id has exactly one spelling.
        let decoded_len = URL_SAFE_NO_PAD.decode_slice(encoded, &mut sealed).ok()?;
        if decoded_len != SEALED_BYTES {
            return None;
        }
        let (tag, body) = sealed.split_first_chunk::<TAG_BYTES>()?;
        let mut body: [u8; PLAINTEXT_BYTES] = body.try_into().ok()?;
        self.with_cipher(|cipher| {
            cipher.decrypt_in_place_detached([label], &mut body, &Tag::from(*tag))
        })
        .ok()?;
        let (first, second) = body.split_first_chunk::<8>()?;
        let second: [u8; 8] = second.try_into().ok()?;
        Some((u64::from_be_bytes(*first), u64::from_be_bytes(second)))
    }

    /// Runs `use_cipher` with a spare cipher under this key, or a fresh one, and keeps it
    /// for the next call. A cipher is left as it was found after an encryption or a refused
    /// decryption (aes-siv resets its CMAC after each), and wipes its key copy (and, with the
    /// `zeroize` features set in Cargo.toml, its AES and CMAC state) when dropped.
    fn with_cipher<T>(&self, use_cipher: impl FnOnce(&mut Aes256Siv) -> T) -> T {
        let spare = self.spare_ciphers.lock().pop();
        let mut cipher =
            spare.unwrap_or_else(|| Aes256Siv::new(Key::<Aes256Siv>::from_slice(&self.key)));
        let result = use_cipher(&mut cipher);
        let mut spare_ciphers = self.spare_ciphers.lock();
        if spare_ciphers.len() < SPARE_CIPHERS_MAX {
            spare_ciphers.push(cipher);
        }
        result
    }
}

impl Drop for LocatorKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl ZeroizeOnDrop for LocatorKey {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::os::unix::fs::PermissionsExt;

    fn key() -> LocatorKey {
        LocatorKey::from_bytes_for_tests(std::array::from_fn(|i| u8::try_from(i).unwrap()))
    }

    fn decode(id: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(id.strip_prefix(AUTHORIZATION_PREFIX).unwrap())
            .unwrap()
    }

    #[test]
    fn round_trips() {
        let key = key();
        for (account, authorization) in [(0, 0), (1, 2), (7, 1_234_567_890_123), (u64::MAX, 0)] {
            let id = key.seal_authorization(account, authorization);
            assert_eq!(
                key.open_authorization(&id),
                Some((account, authorization)),
                "{id}"
            );
        }
        let id = key.seal_authorization(u64::MAX, u64::MAX);
        assert_eq!(key.open_authorization(&id), Some((u64::MAX, u64::MAX)));
    }

    #[test]
    fn dispute_ids_round_trip_and_open_as_nothing_else() {
        let key = LocatorKey::from_bytes_for_tests([9; KEY_BYTES]);
        let id = key.seal_dispute(7, 3);
        assert!(id.starts_with(DISPUTE_PREFIX));
        assert_eq!(key.open_dispute(&id), Some((7, 3)));
        let relabelled = id.replacen(DISPUTE_PREFIX, AUTHORIZATION_PREFIX, 1);
        assert_eq!(key.open_authorization(&relabelled), None);
        let authorization = key.seal_authorization(7, 3);
        let as_dispute = authorization.replacen(AUTHORIZATION_PREFIX, DISPUTE_PREFIX, 1);
        assert_eq!(key.open_dispute(&as_dispute), None);
    }

    #[test]
    fn member_refs_round_trip_and_are_not_authorization_ids() {
        let key = key();
        let reference = key.seal_member_ref(7, 3);
        assert!(reference.starts_with("mref_"));
        assert_eq!(reference.len(), MEMBER_REF_CHARS);
        assert_eq!(key.open_member_ref(&reference), Some((7, 3)));
        assert_eq!(key.seal_member_ref(7, 3), reference, "stable for the pair");
        // Another vendor sees an unrelated reference for the same member.
        let other = decode_prefixed(&key.seal_member_ref(7, 4), "mref_");
        let same = decode_prefixed(&reference, "mref_")
            .iter()
            .zip(&other)
            .filter(|(left, right)| left == right)
            .count();
        assert!(same < 4, "{same} equal bytes");
        // The labels keep the kinds apart, whatever the prefix says.
        let authorization = key.seal_authorization(7, 3);
        let relabelled = format!("mref_{}", &authorization[5..]);
        assert_eq!(key.open_member_ref(&relabelled), None);
        assert_eq!(
            key.open_authorization(&format!("auth_{}", &reference[5..])),
            None
        );
    }

    fn decode_prefixed(id: &str, prefix: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(id.strip_prefix(prefix).unwrap())
            .unwrap()
    }

    #[test]
    fn has_the_documented_shape() {
        let id = key().seal_authorization(7, 1_234_567_890_123);
        assert!(id.starts_with("auth_"));
        assert_eq!(id.len(), AUTHORIZATION_ID_CHARS);
        assert_eq!(id.len(), 48);
        assert!(
            id[5..]
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
        );
        assert_eq!(decode(&id).len(), 32);
    }

    /// Computed independently with Python's `cryptography` (`AESSIV(key).encrypt(plaintext,
    /// [label])`, which returns `V || C`). Vendors store these ids, so the layout must not
    /// change with a library upgrade; this test says so if it does.
    #[test]
    fn matches_an_independent_aes_siv() {
        assert_eq!(
            key().seal_authorization(7, 1_234_567_890_123),
            "auth_BLUMmlk3F_DSXGkRQE_dlD8izo4cQhOWkard5bp7Et0"
        );
    }

    #[test]
    fn is_deterministic() {
        let key = key();
        assert_eq!(key.seal_authorization(3, 9), key.seal_authorization(3, 9));
        let reloaded = LocatorKey::from_bytes_for_tests(key.key);
        assert_eq!(
            key.seal_authorization(3, 9),
            reloaded.seal_authorization(3, 9)
        );
    }

    #[test]
    fn ids_of_different_accounts_are_unrelated() {
        let key = key();
        let first = decode(&key.seal_authorization(1, 500));
        let second = decode(&key.seal_authorization(2, 500));
        // A fixed-IV cipher would repeat the authorization's ciphertext bytes (16..32) and
        // a prefix-preserving one the start; SIV repeats neither. Equal bytes at the same
        // place happen by chance (1 in 256 each), not in runs.
        let same = first
            .iter()
            .zip(&second)
            .filter(|(left, right)| left == right)
            .count();
        assert!(same < 4, "{same} equal bytes");
        assert_ne!(first[16..], second[16..]);
        assert_ne!(first[24..], second[24..]);
        // Nor do two authorizations of one account share anything visible.
        let third = decode(&key.seal_authorization(1, 501));
        assert_ne!(first[..16], third[..16]);
        assert_ne!(first[16..24], third[16..24]);
    }

    #[test]
    fn account_and_authorization_are_not_interchangeable() {
        let key = key();
        assert_ne!(key.seal_authorization(1, 2), key.seal_authorization(2, 1));
    }

    #[test]
    fn any_changed_character_is_refused() {
        let key = key();
        let id = key.seal_authorization(7, 42);
        for position in 0..id.len() {
            for replacement in ['A', 'B', 'z', '-', '_', '0', '=', '.', ' ', 'é'] {
                let mut changed: Vec<char> = id.chars().collect();
                if changed[position] == replacement {
                    continue;
                }
                changed[position] = replacement;
                let changed: String = changed.into_iter().collect();
                assert_eq!(
                    key.open_authorization(&changed),
                    None,
                    "position {position} -> {replacement}"
                );
            }
        }
    }

    #[test]
    fn any_changed_bit_is_refused() {
        let key = key();
        let sealed = decode(&key.seal_authorization(7, 42));
        for position in 0..sealed.len() {
            for bit in 0..8 {
                let mut changed = sealed.clone();
                changed[position] ^= 1 << bit;
                let id = format!("auth_{}", URL_SAFE_NO_PAD.encode(&changed));
                assert_eq!(
                    key.open_authorization(&id),
                    None,
                    "byte {position} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn another_key_refuses() {
        let id = key().seal_authorization(7, 42);
        let other = LocatorKey::from_bytes_for_tests([9; 64]);
        assert_eq!(other.open_authorization(&id), None);
        // Changing either half of the key is enough.
        let mut mac_half = key().key;
        mac_half[0] ^= 1;
        assert_eq!(
            LocatorKey::from_bytes_for_tests(mac_half).open_authorization(&id),
            None
        );
        let mut ctr_half = key().key;
        ctr_half[63] ^= 1;
        assert_eq!(
            LocatorKey::from_bytes_for_tests(ctr_half).open_authorization(&id),
            None
        );
    }

    #[test]
    fn a_kept_cipher_seals_and_opens_as_a_fresh_one_even_after_a_refusal() {
        let key = key();
        let id = key.seal_authorization(7, 42);
        let position = 20;
        let other = if id.as_bytes()[position] == b'A' {
            "B"
        } else {
            "A"
        };
        let mut tampered = id.clone();
        tampered.replace_range(position..=position, other);
        for _ in 0..3 {
            assert_eq!(key.open_authorization(&tampered), None);
        }
        assert_eq!(
            key.seal_authorization(7, 42),
            self::key().seal_authorization(7, 42)
        );
        assert_eq!(key.open_authorization(&id), Some((7, 42)));
        // One thread at a time needs one cipher, built once and lent out to every call.
        assert_eq!(key.spare_ciphers.lock().len(), 1);
    }

    #[test]
    fn another_label_refuses() {
        let key = key();
        let mut body: [u8; 16] = [0; 16];
        body[7] = 7;
        body[15] = 42;
        let tag = key
            .with_cipher(|cipher| {
                cipher.encrypt_in_place_detached([b"farthing/other/v1".as_slice()], &mut body)
            })
            .unwrap();
        let mut sealed = tag.to_vec();
        sealed.extend_from_slice(&body);
        let id = format!("auth_{}", URL_SAFE_NO_PAD.encode(&sealed));
        assert_eq!(id.len(), AUTHORIZATION_ID_CHARS);
        assert_eq!(key.open_authorization(&id), None);
    }

    #[test]
    fn malformed_input_is_refused() {
        let key = key();
        let id = key.seal_authorization(7, 42);
        let sealed = decode(&id);
        let body = &id[5..];
        let huge = "A".repeat(1 << 20);
        let inputs = [
            String::new(),
            "auth_".to_owned(),
            body.to_owned(),
            format!("AUTH_{body}"),
            format!("authx{body}"),
            format!("fk___{body}"),
            format!("{id}A"),
            id[..id.len() - 1].to_owned(),
            format!("auth_{}", "A".repeat(43)),
            format!("auth_{}", "é".repeat(21)),
            format!("auth_{}=", &body[..42]),
            // Standard base64 and padded forms of the same bytes.
            format!(
                "auth_{}",
                base64::engine::general_purpose::STANDARD.encode(&sealed)
            ),
            format!("auth_{}", URL_SAFE_NO_PAD.encode(&sealed[..31])),
            format!(
                "auth_{}",
                URL_SAFE_NO_PAD.encode([sealed.clone(), vec![0]].concat())
            ),
            huge,
            "\u{0}".repeat(48),
        ];
        for input in &inputs {
            assert_eq!(key.open_authorization(input), None, "{:?}", input.get(..60));
        }
    }

    #[test]
    fn non_canonical_trailing_bits_are_refused() {
        // 43 characters carry 258 bits; the last character's low 2 bits must be zero, or
        // four strings would open to the same authorization.
        let key = key();
        let id = key.seal_authorization(7, 42);
        let last = id.as_bytes()[id.len() - 1];
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let index = alphabet.iter().position(|c| *c == last).unwrap();
        for low_bits in 1..4 {
            let mut changed = id.clone().into_bytes();
            changed[id.len() - 1] = alphabet[(index & !3) | low_bits];
            let changed = String::from_utf8(changed).unwrap();
            assert_eq!(key.open_authorization(&changed), None, "{changed}");
        }
    }

    #[test]
    fn key_file_is_created_private_and_reloads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let key_dir = dir.path().join("keys");
        let key = LocatorKey::load_or_create(&key_dir).unwrap();
        let path = key_dir.join(LOCATOR_KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.len(), 128 + 1);
        let id = key.seal_authorization(7, 42);

        let reloaded = LocatorKey::load_or_create(&key_dir).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        assert_eq!(reloaded.seal_authorization(7, 42), id);
        assert_eq!(reloaded.open_authorization(&id), Some((7, 42)));

        // Another installation gets another key.
        let elsewhere = tempfile::tempdir().unwrap();
        let other = LocatorKey::load_or_create(elsewhere.path()).unwrap();
        assert_eq!(other.open_authorization(&id), None);
    }

    #[test]
    fn key_file_must_hold_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCATOR_KEY_FILE);
        for text in [
            String::new(),
            "ab".repeat(32),
            format!("{}\n", "ab".repeat(32)),
            format!("{}\n\n", "ab".repeat(64)),
            format!("{}g\n", "a".repeat(127)),
        ] {
            std::fs::write(&path, &text).unwrap();
            match LocatorKey::load_or_create(dir.path()) {
                Err(KeyFileError::Corrupt { path: got, line: 1 }) => assert_eq!(got, path),
                Err(other) => panic!("{text:?}: {other}"),
                Ok(_) => panic!("{text:?} loaded"),
            }
        }
        // Written by hand, in capitals, without a newline, is fine.
        std::fs::write(&path, "AB".repeat(64)).unwrap();
        let key = LocatorKey::load_or_create(dir.path()).unwrap();
        assert_eq!(
            key.seal_authorization(1, 2),
            LocatorKey::from_bytes_for_tests([0xab; 64]).seal_authorization(1, 2)
        );
    }

    proptest! {
        #[test]
        fn random_strings_never_open(text in any::<String>()) {
            prop_assert_eq!(key().open_authorization(&text), None);
        }

        #[test]
        fn random_well_shaped_ids_never_open(text in "auth_[A-Za-z0-9_-]{43}") {
            prop_assert_eq!(key().open_authorization(&text), None);
        }

        #[test]
        fn every_pair_round_trips(account in any::<u64>(), authorization in any::<u64>()) {
            let key = key();
            let id = key.seal_authorization(account, authorization);
            prop_assert_eq!(id.len(), AUTHORIZATION_ID_CHARS);
            prop_assert_eq!(key.open_authorization(&id), Some((account, authorization)));
        }
    }
}
