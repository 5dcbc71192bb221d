//! Tokens by reference: configuration names where a secret is (an environment variable or a
//! file), never the secret itself. The value is read when it is needed and is never printed.

use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

/// Where a secret (a token, an app password) is kept: `{ env = "NAME" }` or `{ file = "/path" }`.
///
/// A secret written inline (`token = "ghp_..."`) is rejected when the configuration is read,
/// with an error that does not repeat the value.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum SecretRef {
    /// The name of an environment variable holding the secret.
    Env(String),
    /// A file holding the secret; surrounding whitespace (a trailing newline) is ignored.
    File(PathBuf),
}

impl SecretRef {
    /// Reads the secret now. Errors name the variable or file, never the value.
    pub fn resolve(&self) -> Result<Secret, SecretError> {
        let value = match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(value) => value,
                Err(std::env::VarError::NotPresent) => {
                    return Err(SecretError::EnvNotSet { name: name.clone() })
                }
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(SecretError::EnvNotUnicode { name: name.clone() })
                }
            },
            SecretRef::File(path) => read_secret_file(path)?,
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(SecretError::Empty {
                source_ref: self.clone(),
            });
        }
        if value.contains(['\r', '\n']) {
            return Err(SecretError::MultiLine {
                source_ref: self.clone(),
            });
        }
        Ok(Secret(value.to_string()))
    }
}

fn read_secret_file(path: &Path) -> Result<String, SecretError> {
    let bytes = std::fs::read(path).map_err(|e| SecretError::File {
        path: path.to_path_buf(),
        // The io::Error's text names the failure (not found, permission denied), not contents.
        message: e.to_string(),
    })?;
    String::from_utf8(bytes).map_err(|_| SecretError::FileNotUtf8 {
        path: path.to_path_buf(),
    })
}

/// `$NAME` for an environment variable, `file /path` for a file.
impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => write!(f, "${name}"),
            SecretRef::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// Shows where the secret is, which is not secret; the value is never part of a `SecretRef`.
impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(name) => f.debug_struct("SecretRef").field("env", name).finish(),
            SecretRef::File(path) => f.debug_struct("SecretRef").field("file", path).finish(),
        }
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SecretRefVisitor)
    }
}

const INLINE_SECRET: &str = "a secret must not be written in the configuration: \
     reference it as { env = \"VARIABLE\" } or { file = \"/path/to/file\" }";

struct SecretRefVisitor;

impl<'de> Visitor<'de> for SecretRefVisitor {
    type Value = SecretRef;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{ env = \"VARIABLE\" } or { file = \"/path/to/file\" }")
    }

    // Never echo what was given: it may be the token itself.
    fn visit_str<E: de::Error>(self, _: &str) -> Result<SecretRef, E> {
        Err(E::custom(INLINE_SECRET))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<SecretRef, E> {
        Err(E::custom(INLINE_SECRET))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<SecretRef, E> {
        Err(E::custom(INLINE_SECRET))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<SecretRef, E> {
        Err(E::custom(INLINE_SECRET))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SecretRef, A::Error> {
        let mut found: Option<SecretRef> = None;
        while let Some(key) = map.next_key::<String>()? {
            let value = match key.as_str() {
                "env" => SecretRef::Env(map.next_value::<String>()?),
                "file" => SecretRef::File(map.next_value::<PathBuf>()?),
                other => {
                    // Skip the value unseen, so it never reaches an error message.
                    map.next_value::<de::IgnoredAny>()?;
                    // Name the key only if it looks like a misspelt option, not like a token.
                    let named = if other.len() <= 16
                        && other.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    {
                        format!(" `{other}`")
                    } else {
                        String::new()
                    };
                    return Err(de::Error::custom(format!(
                        "unknown key{named} in a secret reference: expected {{ env = \"VARIABLE\" }} or {{ file = \"/path/to/file\" }}"
                    )));
                }
            };
            if found.is_some() {
                return Err(de::Error::custom(
                    "a secret reference names exactly one of `env` or `file`",
                ));
            }
            found = Some(value);
        }
        match found {
            Some(SecretRef::Env(name)) if name.is_empty() => Err(de::Error::custom(
                "`env` of a secret reference must name an environment variable",
            )),
            Some(SecretRef::File(path)) if path.as_os_str().is_empty() => Err(de::Error::custom(
                "`file` of a secret reference must name a file",
            )),
            Some(found) => Ok(found),
            None => Err(de::Error::custom(
                "a secret reference names one of `env` or `file`",
            )),
        }
    }
}

/// A resolved secret. Its `Debug` and `Display` print `***`; [`Secret::expose`] gives the value
/// to the one place that needs it (the request's authorization header).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value obtained some other way (for example from a prompt).
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret's value. Don't log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A secret reference that could not be resolved. Names the variable or file, never a value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SecretError {
    #[error("environment variable {name} is not set: export it with the token, or reference a file with {{ file = \"/path\" }}")]
    EnvNotSet { name: String },
    #[error("environment variable {name} is not valid UTF-8")]
    EnvNotUnicode { name: String },
    #[error("cannot read the secret file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("the secret file {path} is not valid UTF-8")]
    FileNotUtf8 { path: PathBuf },
    #[error("the secret in {source_ref} is empty")]
    Empty { source_ref: SecretRef },
    #[error("the secret in {source_ref} has more than one line: it must hold only the token")]
    MultiLine { source_ref: SecretRef },
}
