//! Secrets the server checks or keeps: vendor API keys, the admin key, and the key behind
//! CSRF tags.
//!
//! Vendor API keys and the admin key are bearer secrets. The server keeps only a SHA-256
//! digest of each and compares digests in constant time (`subtle`), so neither a stolen
//! database nor response timing reveals a usable key. A slow password hash (argon2) was
//! rejected: these secrets carry 256 random bits, so there is nothing to brute-force, and
//! vendor calls authenticate at a few hundred thousand per second.
//!
//! The CSRF key signs the buy window's double-submit pairs. (It once also keyed member
//! pseudonyms; a member reference is now a sealed locator the server can open, so a vendor
//! can name a member it knows only by reference: see `crypto::locator`.)
//!
//! This module must not depend on the domain core, actors, storage or HTTP; it reads no
//! clock and logs nothing. Randomness is passed in. The only I/O is loading or creating the
//! key files at start-up. Key types have no `Debug` and are zeroized on drop.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::{Key, KeyInit};
use hmac::{Hmac, Mac};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{
    KeyFileError, Replace, create_key_dir, load_or_create_hex_key, read_key_file, write_key_file,
};

/// Prefix of every vendor API key, so a leaked key is recognisable in logs and by secret
/// scanners, and so `parse_api_key` can reject other strings cheaply.
const API_KEY_PREFIX: &str = "fk_";
/// Length of the random part of an API key or the admin key: base64url of 32 bytes.
const SECRET_CHARS: usize = 43;
/// Bytes of randomness in an API key or the admin key.
const SECRET_BYTES: usize = 32;
/// Longest key id an API key may embed. Vendor ids (`ven_` and 16 hex digits) fit easily;
/// the bound keeps `parse_api_key` from looking at arbitrarily long input.
pub const API_KEY_ID_CHARS_MAX: usize = 64;
/// Longest string `parse_api_key` accepts; the HTTP layer can bound the header with it.
pub const API_KEY_CHARS_MAX: usize = API_KEY_PREFIX.len() + API_KEY_ID_CHARS_MAX + 1 + SECRET_CHARS;
/// File name of the pseudonym key inside the key directory.
const PSEUDONYM_KEY_FILE: &str = "member-ref.key";

/// Label of the CSRF subkey derived from the pseudonym key (see `PseudonymKey::csrf_tag`).
const CSRF_KEY_LABEL: &[u8] = b"farthing csrf key v1";

const _: () = assert!(SECRET_CHARS == (SECRET_BYTES * 4).div_ceil(3));

/// SHA-256 of a whole vendor API key string: what the vendor record stores instead of the
/// key, so a copy of the database does not let anyone call the API.
///
/// `Debug` shows the digest: it is not a secret, since the key behind it has 256 random bits.
/// Equality is constant time, so `==` is as safe as `verify_api_key`.
#[derive(Clone, Copy, Debug)]
pub struct ApiKeyDigest([u8; 32]);

impl ApiKeyDigest {
    /// Rebuilds a digest read back from storage.
    pub fn from_bytes(bytes: [u8; 32]) -> ApiKeyDigest {
        ApiKeyDigest(bytes)
    }

    /// The digest's bytes, for storage.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// Digest of a presented or generated key.
    fn of(secret: &str) -> ApiKeyDigest {
        ApiKeyDigest(Sha256::digest(secret.as_bytes()).into())
    }
}

impl PartialEq for ApiKeyDigest {
    fn eq(&self, other: &ApiKeyDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for ApiKeyDigest {}

/// Whether `key_id` may be embedded in an API key: 1 to `API_KEY_ID_CHARS_MAX` characters
/// of ASCII letters, digits, `_` and `-`, so the key stays one token in a header or a log.
fn is_valid_key_id(key_id: &str) -> bool {
    !key_id.is_empty()
        && key_id.len() <= API_KEY_ID_CHARS_MAX
        && key_id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// Whether `text` is exactly `SECRET_CHARS` characters of the base64url alphabet.
fn is_secret_text(text: &str) -> bool {
    text.len() == SECRET_CHARS
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-')
}

/// Draws a fresh 32-byte secret and returns it as 43 characters of base64url.
fn fresh_secret_text(rng: &mut (impl RngCore + CryptoRng), out: &mut String) {
    let mut random = Zeroizing::new([0u8; SECRET_BYTES]);
    rng.fill_bytes(random.as_mut());
    URL_SAFE_NO_PAD.encode_string(random.as_ref(), out);
}

/// Generates a vendor API key `fk_<key_id>_<43 chars of base64url>` and its digest.
///
/// `key_id` is the vendor's id string (for example `ven_0123456789abcdef`); embedding it
/// lets the server find the vendor from the key without scanning every digest. The secret
/// is shown to the vendor once; only the digest is stored.
///
/// # Panics
/// If `key_id` is empty, longer than `API_KEY_ID_CHARS_MAX`, or has characters other than
/// ASCII letters, digits, `_` and `-`: vendor ids are made by the server, so that is a bug,
/// and a key `parse_api_key` would refuse must not be handed out.
pub fn generate_api_key(
    key_id: &str,
    rng: &mut (impl RngCore + CryptoRng),
) -> (String, ApiKeyDigest) {
    assert!(
        is_valid_key_id(key_id),
        "API key id has invalid characters or length"
    );
    let mut secret = String::with_capacity(API_KEY_CHARS_MAX);
    secret.push_str(API_KEY_PREFIX);
    secret.push_str(key_id);
    secret.push('_');
    fresh_secret_text(rng, &mut secret);
    let digest = ApiKeyDigest::of(&secret);
    (secret, digest)
}

/// Returns the key id part of a presented API key, so the server can look up the vendor
/// (and its stored digest) directly; `None` if the string is not shaped like an API key.
///
/// The random part is the last 43 characters and may itself contain `_`, and the key id
/// contains `_` too, so the split is made by length from the right, not at an underscore.
/// A `Some` says nothing about validity: always follow with `verify_api_key`.
pub fn parse_api_key(presented: &str) -> Option<&str> {
    if presented.len() > API_KEY_CHARS_MAX {
        return None;
    }
    let rest = presented.strip_prefix(API_KEY_PREFIX)?;
    let split = rest.len().checked_sub(SECRET_CHARS + 1)?;
    let (key_id, tail) = rest.split_at_checked(split)?;
    let secret = tail.strip_prefix('_')?;
    (is_valid_key_id(key_id) && is_secret_text(secret)).then_some(key_id)
}

/// Whether `presented` is the API key whose digest is `stored`, compared in constant time.
pub fn verify_api_key(stored: &ApiKeyDigest, presented: &str) -> bool {
    ApiKeyDigest::of(presented).0.ct_eq(&stored.0).into()
}

/// The operator's admin key, held as the digest of the secret in its file.
///
/// The server keeps only the digest: the secret itself stays in the file for the operator to
/// read. No `Debug`, zeroized on drop.
pub struct AdminKey {
    /// SHA-256 of the secret; `verify` compares presented keys against it.
    digest: [u8; 32],
}

impl AdminKey {
    /// Whether `presented` is the admin key, compared in constant time (as digests, so the
    /// comparison does not depend on the presented length either).
    pub fn verify(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        presented.ct_eq(&self.digest).into()
    }

    fn from_secret(secret: &str) -> AdminKey {
        AdminKey {
            digest: Sha256::digest(secret.as_bytes()).into(),
        }
    }
}

/// Loads the admin key from `path`, or creates it (and its directory, mode 0700) as a fresh
/// 43-character base64url secret in a 0600 file.
///
/// The file holds the secret and a newline, nothing else; the operator reads it to call the
/// admin API. Creation never replaces a file another process wrote meanwhile.
///
/// # Errors
/// `KeyFileError::Io` if the file or directory cannot be read or created;
/// `KeyFileError::Corrupt` (line 1) if the file does not hold exactly one 43-character
/// base64url secret.
pub fn load_or_create_admin_key(
    path: &Path,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<AdminKey, KeyFileError> {
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        create_key_dir(parent)?;
    }
    if let Some(text) = read_key_file(path)? {
        return parse_admin_key(path, &text);
    }
    let mut text = Zeroizing::new(String::with_capacity(SECRET_CHARS + 1));
    fresh_secret_text(rng, &mut text);
    text.push('\n');
    match write_key_file(path, text.as_bytes(), Replace::No) {
        Ok(()) => parse_admin_key(path, &text),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = read_key_file(path)?.ok_or(KeyFileError::Io(error))?;
            parse_admin_key(path, &existing)
        }
        Err(error) => Err(KeyFileError::Io(error)),
    }
}

impl Drop for AdminKey {
    fn drop(&mut self) {
        self.digest.zeroize();
    }
}

impl ZeroizeOnDrop for AdminKey {}

fn parse_admin_key(path: &Path, text: &str) -> Result<AdminKey, KeyFileError> {
    let secret = text.strip_suffix('\n').unwrap_or(text);
    if !is_secret_text(secret) {
        return Err(KeyFileError::Corrupt {
            path: PathBuf::from(path),
            line: 1,
        });
    }
    Ok(AdminKey::from_secret(secret))
}

/// The key behind CSRF tags: one per installation, never rotated. Its file keeps the name
/// it had when it also keyed member references (those are sealed locators now, see
/// `crypto::locator`), so an installation keeps its key.
///
/// No `Debug`, zeroized on drop.
pub struct PseudonymKey {
    /// The HMAC-SHA256 key, padded with zeros to SHA-256's 64-byte block. HMAC pads a
    /// shorter key the same way, so this equals HMAC under the 32-byte key, and keying
    /// from a full block cannot fail, which spares an `expect` on every call.
    block: [u8; 64],
}

impl PseudonymKey {
    /// Loads `<dir>/member-ref.key` (64 hex digits and a newline), creating it (and `dir`,
    /// mode 0700) with a fresh key from the operating system's generator, file mode 0600,
    /// if missing. Like `TokenKeys::load_or_create`, it takes no generator: a key file is
    /// made once per installation, never in a test that needs it reproducible.
    ///
    /// # Errors
    /// `KeyFileError::Io` if the directory or file cannot be created or read;
    /// `KeyFileError::Corrupt` (line 1) if the file does not hold exactly one key.
    pub fn load_or_create(dir: &Path) -> Result<PseudonymKey, KeyFileError> {
        let key = load_or_create_hex_key::<32>(dir, PSEUDONYM_KEY_FILE)?;
        Ok(PseudonymKey::from_key(&key))
    }

    /// Builds a key from raw bytes without touching the disk, for tests and benches.
    pub fn from_bytes_for_tests(key: [u8; 32]) -> PseudonymKey {
        PseudonymKey::from_key(&key)
    }

    /// The CSRF token of a browser whose CSRF cookie holds `browser_id`: HMAC-SHA256 under a
    /// subkey of this key (itself HMAC(key, `CSRF_KEY_LABEL`), so a CSRF tag and a pseudonym
    /// are never computed under the same key). Without the key nobody can make a cookie and
    /// field pair that verifies, which a plain double-submit pair (cookie == field) allowed:
    /// whoever can plant a cookie (a sibling subdomain, a man in the middle on http) could
    /// forge both halves. Rejected: a separate key file, one more secret to back up for a
    /// value that may change freely (a new key only makes open forms ask for a reload).
    pub fn csrf_tag(&self, browser_id: &[u8]) -> [u8; 32] {
        let mut derive =
            <Hmac<Sha256> as KeyInit>::new(Key::<Hmac<Sha256>>::from_slice(&self.block));
        derive.update(CSRF_KEY_LABEL);
        let subkey = Zeroizing::new(<[u8; 32]>::from(derive.finalize().into_bytes()));
        let mut block = Zeroizing::new([0u8; 64]);
        for (out, byte) in block.iter_mut().zip(subkey.iter()) {
            *out = *byte;
        }
        let mut mac = <Hmac<Sha256> as KeyInit>::new(Key::<Hmac<Sha256>>::from_slice(&*block));
        mac.update(browser_id);
        mac.finalize().into_bytes().into()
    }

    fn from_key(key: &[u8; 32]) -> PseudonymKey {
        let mut block = [0u8; 64];
        for (out, byte) in block.iter_mut().zip(key.iter()) {
            *out = *byte;
        }
        PseudonymKey { block }
    }
}

impl Drop for PseudonymKey {
    fn drop(&mut self) {
        self.block.zeroize();
    }
}

impl ZeroizeOnDrop for PseudonymKey {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::os::unix::fs::PermissionsExt;

    const VENDOR_ID: &str = "ven_0123456789abcdef";

    fn rng() -> StdRng {
        StdRng::seed_from_u64(11)
    }

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn api_key_has_the_documented_shape() {
        let (secret, _) = generate_api_key(VENDOR_ID, &mut rng());
        assert!(secret.starts_with("fk_ven_0123456789abcdef_"));
        assert_eq!(secret.len(), 3 + VENDOR_ID.len() + 1 + 43);
        assert_eq!(parse_api_key(&secret), Some(VENDOR_ID));
    }

    #[test]
    fn api_key_parses_even_when_the_random_part_has_underscores() {
        let mut rng = rng();
        let mut seen_underscore = false;
        for _ in 0..200 {
            let (secret, digest) = generate_api_key(VENDOR_ID, &mut rng);
            seen_underscore |= secret[VENDOR_ID.len() + 4..].contains('_');
            assert_eq!(parse_api_key(&secret), Some(VENDOR_ID));
            assert!(verify_api_key(&digest, &secret));
        }
        assert!(seen_underscore);
    }

    #[test]
    fn api_key_verifies_only_itself() {
        let mut rng = rng();
        let (secret, digest) = generate_api_key(VENDOR_ID, &mut rng);
        let (other, other_digest) = generate_api_key(VENDOR_ID, &mut rng);
        assert!(verify_api_key(&digest, &secret));
        assert!(!verify_api_key(&digest, &other));
        assert!(!verify_api_key(&other_digest, &secret));
        assert!(!verify_api_key(&digest, ""));
        assert!(!verify_api_key(&digest, &secret[..secret.len() - 1]));
        assert!(!verify_api_key(&digest, &format!("{secret} ")));
        assert_ne!(digest, other_digest);
    }

    #[test]
    fn api_key_digest_round_trips_through_bytes() {
        let (secret, digest) = generate_api_key(VENDOR_ID, &mut rng());
        let stored = ApiKeyDigest::from_bytes(digest.to_bytes());
        assert_eq!(stored, digest);
        assert!(verify_api_key(&stored, &secret));
        let expected: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        assert_eq!(digest.to_bytes(), expected);
    }

    #[test]
    fn parse_api_key_refuses_malformed_input() {
        let random = "A".repeat(43);
        let long_id = "v".repeat(API_KEY_ID_CHARS_MAX + 1);
        let inputs = [
            String::new(),
            "fk_".to_string(),
            "fk__".to_string(),
            format!("fk_{random}"),
            format!("fk__{random}"),
            format!("xx_{VENDOR_ID}_{random}"),
            format!("FK_{VENDOR_ID}_{random}"),
            format!("fk_{VENDOR_ID}-{random}"),
            format!("fk_{VENDOR_ID}_{}", "A".repeat(42)),
            format!("fk_{VENDOR_ID}_{}!", "A".repeat(42)),
            format!("fk_ven 1_{random}"),
            format!("fk_vén_{random}"),
            format!("fk_{VENDOR_ID}_{}é", "A".repeat(41)),
            format!("fk_{long_id}_{random}"),
            "x".repeat(10_000),
            format!("fk_{}_{random}", "é".repeat(20)),
        ];
        for input in &inputs {
            assert_eq!(parse_api_key(input), None, "{input:?}");
        }
        let longest_id = "v".repeat(API_KEY_ID_CHARS_MAX);
        assert_eq!(
            parse_api_key(&format!("fk_{longest_id}_{random}")),
            Some(longest_id.as_str())
        );
        assert_eq!(parse_api_key(&format!("fk_v_{random}")), Some("v"));
    }

    #[test]
    #[should_panic(expected = "API key id")]
    fn generate_api_key_refuses_a_bad_key_id() {
        let _ = generate_api_key("ven 1", &mut rng());
    }

    #[test]
    fn admin_key_is_created_private_and_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin").join("admin.key");
        let key = load_or_create_admin_key(&path, &mut rng()).unwrap();
        assert_eq!(mode(&path), 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        let secret = text.strip_suffix('\n').unwrap();
        assert_eq!(secret.len(), 43);
        assert!(key.verify(secret));
        assert!(!key.verify(""));
        assert!(!key.verify(&text));
        assert!(!key.verify(&secret[1..]));

        // Reloading keeps the same secret, whatever the generator says.
        let reloaded = load_or_create_admin_key(&path, &mut StdRng::seed_from_u64(99)).unwrap();
        assert!(reloaded.verify(secret));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }

    #[test]
    fn admin_key_file_must_hold_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin.key");
        for text in [
            "",
            "short\n",
            &format!("{}\n\n", "A".repeat(43)),
            &"A".repeat(44),
        ] {
            std::fs::write(&path, text).unwrap();
            assert!(
                matches!(
                    load_or_create_admin_key(&path, &mut rng()),
                    Err(KeyFileError::Corrupt { line: 1, .. })
                ),
                "{text:?}"
            );
        }
        // Written by hand without a newline is fine.
        std::fs::write(&path, "B".repeat(43)).unwrap();
        let key = load_or_create_admin_key(&path, &mut rng()).unwrap();
        assert!(key.verify(&"B".repeat(43)));
    }

    #[test]
    fn a_csrf_tag_is_hmac_under_a_derived_subkey_and_depends_on_key_and_id() {
        let key_bytes = [5u8; 32];
        let mut derive = <Hmac<Sha256> as Mac>::new_from_slice(&key_bytes).unwrap();
        derive.update(CSRF_KEY_LABEL);
        let subkey = derive.finalize().into_bytes();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&subkey).unwrap();
        mac.update(b"browser one");
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        let key = PseudonymKey::from_bytes_for_tests(key_bytes);
        assert_eq!(key.csrf_tag(b"browser one"), expected);
        assert_ne!(key.csrf_tag(b"browser two"), expected);
        let other = PseudonymKey::from_bytes_for_tests([6u8; 32]);
        assert_ne!(other.csrf_tag(b"browser one"), expected);
    }

    #[test]
    fn pseudonym_key_is_created_private_and_reloads_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = PseudonymKey::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(PSEUDONYM_KEY_FILE);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap().len(), 65);
        let reloaded = PseudonymKey::load_or_create(dir.path()).unwrap();
        assert_eq!(key.csrf_tag(b"browser"), reloaded.csrf_tag(b"browser"));
    }

    #[test]
    fn pseudonym_key_file_must_hold_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PSEUDONYM_KEY_FILE);
        std::fs::write(&path, "abcd\n").unwrap();
        assert!(matches!(
            PseudonymKey::load_or_create(dir.path()),
            Err(KeyFileError::Corrupt { line: 1, .. })
        ));
    }
}
