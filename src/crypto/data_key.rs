//! The bank-data key: seals payees' bank details at rest (XChaCha20-Poly1305, a random nonce
//! per seal, the purpose bound as associated data).
//!
//! A key of its own, in its own file (`bank-data.key`), so rotating or retiring token keys
//! (which only need to outlive the tokens they sealed) can never make a payee's bank details
//! unreadable. Losing this file loses every sealed bank account: it is backed up with the
//! data directory's other key files.

use std::path::Path;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{Key, KeyInit, XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::{KeyFileError, load_or_create_hex_key};

/// The key file's name in the key directory.
pub const DATA_KEY_FILE: &str = "bank-data.key";
/// What a sealed value is for: bound into its tag, so a value sealed for another purpose
/// under the same key would not open as bank details.
const PURPOSE: &[u8] = b"farthing bank details v1";
/// XChaCha20 nonce length.
const NONCE_BYTES: usize = 24;

/// The bank-data key. No `Debug`; the cipher zeroizes its key when dropped.
pub struct DataKey {
    cipher: XChaCha20Poly1305,
}

impl DataKey {
    /// Loads `<dir>/bank-data.key`, creating it (mode 0600) with a fresh key if missing.
    ///
    /// # Errors
    /// `KeyFileError` when the file cannot be read, created or parsed.
    pub fn load_or_create(dir: &Path) -> Result<DataKey, KeyFileError> {
        let key = load_or_create_hex_key::<32>(dir, DATA_KEY_FILE)?;
        Ok(DataKey::from_bytes(&key))
    }

    /// A key from raw bytes, for tests and benches.
    #[must_use]
    pub fn from_bytes(key: &[u8; 32]) -> DataKey {
        DataKey {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// Seals `plain`: nonce, then ciphertext and tag.
    pub fn seal<R: RngCore + CryptoRng>(&self, plain: &[u8], rng: &mut R) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        rng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: PURPOSE,
                },
            )
            // Encryption fails only for messages beyond the cipher's limit (256 GiB).
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_BYTES.saturating_add(sealed.len()));
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`DataKey::seal`] sealed; `None` when it was sealed under another key, for
    /// another purpose, or changed.
    #[must_use]
    pub fn open(&self, sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let (nonce, body) = sealed.split_at_checked(NONCE_BYTES)?;
        self.cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: PURPOSE,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn seals_and_opens_and_refuses_another_key_or_a_change() {
        let key = DataKey::from_bytes(&[7; 32]);
        let mut rng = StdRng::seed_from_u64(1);
        let sealed = key.seal(b"DE89370400440532013000", &mut rng);
        assert!(
            !sealed.windows(4).any(|w| w == b"DE89"),
            "sealed in the clear"
        );
        assert_eq!(
            key.open(&sealed).as_deref().map(Vec::as_slice),
            Some(&b"DE89370400440532013000"[..])
        );
        assert!(DataKey::from_bytes(&[8; 32]).open(&sealed).is_none());
        let mut changed = sealed.clone();
        if let Some(last) = changed.last_mut() {
            *last ^= 1;
        }
        assert!(key.open(&changed).is_none());
        assert!(key.open(&sealed[..10]).is_none());
        // A fresh nonce each time.
        assert_ne!(key.seal(b"x", &mut rng), key.seal(b"x", &mut rng));
    }

    #[test]
    fn the_key_file_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataKey::load_or_create(dir.path()).unwrap();
        let mut rng = StdRng::seed_from_u64(2);
        let sealed = first.seal(b"bank", &mut rng);
        let again = DataKey::load_or_create(dir.path()).unwrap();
        assert!(again.open(&sealed).is_some());
    }
}
