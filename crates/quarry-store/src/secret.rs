//! Random secrets, their digests, and password hashing.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The prefix of every API token, so that tokens are recognizable (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "qry_";
/// Random base62 characters after [`TOKEN_PREFIX`]: 40 × log2(62) ≈ 238 bits.
pub const TOKEN_RANDOM_CHARS: usize = 40;
/// Characters of a token kept in clear for listings: the prefix and 8 random characters
/// (47 bits, too few to help guessing the other 32 characters' 190 bits).
pub const TOKEN_SHOWN_CHARS: usize = TOKEN_PREFIX.len() + 8;
/// Base62 characters of a session id: 43 × log2(62) ≈ 256 bits.
pub const SESSION_CHARS: usize = 43;

/// `n` characters drawn uniformly from base62 with the operating system's CSPRNG.
pub(crate) fn random_base62(n: usize) -> Result<String> {
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf).map_err(|e| StoreError::Random(e.to_string()))?;
        // Rejection sampling: 248 = 4 × 62, so bytes below it map uniformly.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == n {
                break;
            }
            out.push(BASE62[usize::from(b % 62)] as char);
        }
    }
    Ok(out)
}

/// A new API token secret: `qry_` and 40 random base62 characters.
pub(crate) fn new_token_secret() -> Result<String> {
    Ok(format!(
        "{TOKEN_PREFIX}{}",
        random_base62(TOKEN_RANDOM_CHARS)?
    ))
}

/// Whether `s` has the shape of a token secret (checked before touching the database).
pub(crate) fn looks_like_token(s: &str) -> bool {
    s.len() == TOKEN_PREFIX.len() + TOKEN_RANDOM_CHARS
        && s.starts_with(TOKEN_PREFIX)
        && s[TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// Lowercase hex SHA-256 of `secret`: how tokens and session ids are stored.
pub(crate) fn digest(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    let mut s = String::with_capacity(64);
    for b in d {
        s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    s
}

/// Argon2id (v19) with the crate's default parameters (19 MiB, 2 passes, 1 lane: the OWASP
/// recommendation), as a PHC string that records algorithm, parameters and salt.
pub(crate) fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StoreError::Random(e.to_string()))?;
    let salt =
        SaltString::encode_b64(&salt).map_err(|e| StoreError::PasswordHash(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StoreError::PasswordHash(e.to_string()))?;
    Ok(hash.to_string())
}

/// Checks `password` against a stored PHC string; the final comparison is constant-time.
/// Parameters come from the stored string, so hashes made with older parameters still verify.
pub(crate) fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when a user does not exist or has no
/// password, so that the time taken does not tell whether a user name exists.
pub(crate) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let pw = random_base62(32).unwrap_or_else(|_| "quarry-dummy-password".to_string());
        hash_password(&pw).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_shape_and_spread() {
        let s = random_base62(4000).unwrap();
        assert_eq!(s.len(), 4000);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        // Every symbol shows up in 4000 draws (expected ~65 each).
        for &c in BASE62 {
            assert!(s.as_bytes().contains(&c), "{} never drawn", c as char);
        }
    }

    #[test]
    fn token_shape() {
        let t = new_token_secret().unwrap();
        assert_eq!(t.len(), 44);
        assert!(looks_like_token(&t));
        assert!(!looks_like_token("qry_short"));
        assert!(!looks_like_token(&t.replace("qry_", "qrx_")));
        assert_ne!(t, new_token_secret().unwrap());
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn password_roundtrip() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
    }
}
