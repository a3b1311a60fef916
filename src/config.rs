//! Configuration: a TOML file, overridden by `FARTHING_<SECTION>__<KEY>` environment
//! variables, parsed into `RawConfig` and validated into `Config` before anything starts.
//! Every limit is named with its unit; an unknown key, in the file or in the environment, is
//! an error, not a silent default. An environment override is read as the type the file
//! gives its key, never guessed from the text.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML (after environment overrides) does not match the schema.
    #[error("invalid configuration: {0}")]
    Parse(String),
    /// A value is out of its allowed range.
    #[error("invalid setting {key}: {reason}")]
    Invalid {
        /// `section.key`.
        key: &'static str,
        /// What is allowed.
        reason: &'static str,
    },
    /// A `FARTHING_` environment variable names no setting of the file, or its text is not of
    /// that setting's type. Kept apart from `Parse` so the message names the variable to fix.
    #[error("environment variable {variable}: {reason}")]
    Environment {
        /// The variable, as set (`FARTHING_<SECTION>__<KEY>`).
        variable: String,
        /// Which setting it names, if any, and what it must be.
        reason: String,
    },
}

/// `[server]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Arbiter threads; 0 = one per core.
    pub shards: usize,
    /// 0: serve HTTP on the shards' threads; N: on a separate runtime of N threads.
    pub http_threads: usize,
    /// Open connections at most.
    pub connections_max: usize,
    /// Largest request body, bytes.
    pub request_body_bytes_max: usize,
    /// Time to read a request, ms.
    pub request_read_timeout_ms: u64,
    /// Grace for in-flight requests at shutdown, ms.
    pub shutdown_grace_ms: u64,
}

/// `[actors]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorsConfig {
    /// Mailbox capacity per actor.
    pub mailbox_messages_max: usize,
    /// Accounts in memory at most.
    pub accounts_in_memory_max: usize,
    /// Sessions per login.
    pub sessions_per_login_max: usize,
    /// How often a vendor with new sales checkpoints its ledger row, ms.
    pub vendor_checkpoint_interval_ms: u64,
}

/// `[journal]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalSettings {
    /// Events per fsync at most.
    pub batch_events_max: usize,
    /// Entries queued at most.
    pub queue_entries_max: usize,
}

/// `[tokens]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// Access token lifetime, ms.
    pub access_token_ttl_ms: u64,
    /// Absolute session lifetime, ms.
    pub session_absolute_ttl_ms: u64,
    /// Idle session timeout, ms.
    pub session_idle_ttl_ms: u64,
}

/// `[idempotency]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencyConfig {
    /// Retention, ms.
    pub retention_ms: u64,
    /// Keys remembered at most.
    pub keys_max: usize,
}

/// `[members]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersConfig {
    /// Argon2id memory, KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Argon2id lanes.
    pub argon2_parallelism: u32,
    /// Members per bulk call at most.
    pub bulk_members_per_call_max: usize,
}

/// `[admin]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Admin key file; empty means `<data_dir>/admin.key`.
    pub key_file: String,
}

/// `[offers]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffersConfig {
    /// How long an offer can be bought after it is posted, ms.
    pub ttl_ms: u64,
    /// Offers one vendor holds at most (live ones and expired ones not yet pruned).
    pub per_vendor_max: usize,
    /// How long a purchase in progress holds its offer against a second buyer, ms.
    pub claim_ms: u64,
    /// How long an expired offer is kept (answering "expired", not "unknown"), ms.
    pub expired_kept_ms: u64,
}

/// `[buy_window]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BuyWindowConfig {
    /// Base URL browsers reach farthing at (buy URLs); empty = `http://<listen address>`.
    pub public_url: String,
    /// Mark cookies `Secure` (set when farthing is served behind TLS).
    pub secure_cookies: bool,
    /// Added to the shortage by an automatic top-off, in the wallet's currency (decimal).
    pub top_off_amount: String,
    /// Largest amount one top-off or added-funds charge may be (decimal).
    pub charge_max: String,
    /// Lifetime of a public-computer session, which ends after its one purchase, ms.
    pub public_session_ttl_ms: u64,
}

/// The validated configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[actors]`.
    pub actors: ActorsConfig,
    /// `[journal]`.
    pub journal: JournalSettings,
    /// `[tokens]`.
    pub tokens: TokensConfig,
    /// `[idempotency]`.
    pub idempotency: IdempotencyConfig,
    /// `[members]`.
    pub members: MembersConfig,
    /// `[admin]`.
    pub admin: AdminConfig,
    /// `[offers]`.
    pub offers: OffersConfig,
    /// `[buy_window]`.
    pub buy_window: BuyWindowConfig,
}

/// The environment variable prefix for overrides.
const ENV_PREFIX: &str = "FARTHING_";

/// Between the prefix's section and key: `FARTHING_<SECTION>__<KEY>`.
const ENV_SEPARATOR: &str = "__";

impl Config {
    /// Reads `path`, applies overrides from the process environment, validates.
    ///
    /// # Errors
    /// `ConfigError` naming the file, the key or the rule.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(&text, std::env::vars())
    }

    /// Parses TOML text with the given `(name, value)` overrides. Pure: tests pass their own.
    ///
    /// # Errors
    /// `ConfigError::Parse` or `ConfigError::Invalid`.
    pub fn from_toml(
        text: &str,
        environment: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Parse(e.to_string()))?;
        for (name, value) in environment {
            apply_override(&mut table, &name, &value)?;
        }
        let config: Config = table
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let amount_ok = |text: &str| crate::domain::money::parse_amount(text).is_ok();
        let rules: [(&'static str, bool, &'static str); 17] = [
            (
                "offers.expired_kept_ms",
                self.offers.expired_kept_ms <= 86_400_000,
                "0 to 1 day",
            ),
            (
                "offers.ttl_ms",
                (1_000..=7 * 86_400_000).contains(&self.offers.ttl_ms),
                "1 second to 7 days",
            ),
            (
                "offers.per_vendor_max",
                self.offers.per_vendor_max >= 1,
                "at least 1",
            ),
            (
                "offers.claim_ms",
                (1_000..=3_600_000).contains(&self.offers.claim_ms),
                "1 second to 1 hour",
            ),
            (
                "buy_window.top_off_amount",
                amount_ok(&self.buy_window.top_off_amount),
                "a decimal amount such as \"5.00\"",
            ),
            (
                "buy_window.charge_max",
                amount_ok(&self.buy_window.charge_max),
                "a decimal amount such as \"500.00\"",
            ),
            (
                "server.connections_max",
                self.server.connections_max >= 1,
                "at least 1",
            ),
            (
                "server.request_body_bytes_max",
                (256..=16 << 20).contains(&self.server.request_body_bytes_max),
                "256 bytes to 16 MiB",
            ),
            (
                "actors.mailbox_messages_max",
                self.actors.mailbox_messages_max >= 1,
                "at least 1",
            ),
            (
                "actors.accounts_in_memory_max",
                self.actors.accounts_in_memory_max >= 1,
                "at least 1",
            ),
            (
                "actors.sessions_per_login_max",
                self.actors.sessions_per_login_max >= 1,
                "at least 1",
            ),
            (
                "actors.vendor_checkpoint_interval_ms",
                (1..=3_600_000).contains(&self.actors.vendor_checkpoint_interval_ms),
                "1 ms to 1 hour",
            ),
            (
                "journal.batch_events_max",
                self.journal.batch_events_max >= 1,
                "at least 1",
            ),
            (
                "journal.queue_entries_max",
                self.journal.queue_entries_max >= 1,
                "at least 1",
            ),
            (
                "tokens.access_token_ttl_ms",
                self.tokens.access_token_ttl_ms >= 1,
                "at least 1 ms",
            ),
            (
                "idempotency.keys_max",
                self.idempotency.keys_max >= 1,
                "at least 1",
            ),
            (
                "members.bulk_members_per_call_max",
                (1..=100_000).contains(&self.members.bulk_members_per_call_max),
                "1 to 100000",
            ),
        ];
        for (key, ok, reason) in rules {
            if !ok {
                return Err(ConfigError::Invalid { key, reason });
            }
        }
        Ok(())
    }

    /// The admin key file.
    #[must_use]
    pub fn admin_key_path(&self) -> PathBuf {
        if self.admin.key_file.is_empty() {
            self.server.data_dir.join("admin.key")
        } else {
            PathBuf::from(&self.admin.key_file)
        }
    }

    /// Arbiter threads to start.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        if self.server.shards == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        } else {
            self.server.shards
        }
    }
}

/// Replaces the file's value of the setting `name` names with `text`, read as the type the
/// file gives that setting. The file is the schema here: every setting is in it (none has a
/// default), so a variable naming something the file lacks is a typo and is refused.
///
/// Rejected alternative: guessing the type from the text (digits make an integer), which
/// turned `FARTHING_SERVER__DATA_DIR=123` into an integer and refused it.
fn apply_override(table: &mut toml::Table, name: &str, text: &str) -> Result<(), ConfigError> {
    let Some(path) = name.strip_prefix(ENV_PREFIX) else {
        return Ok(());
    };
    let refuse = |reason: String| ConfigError::Environment {
        variable: name.to_owned(),
        reason,
    };
    let Some((section, key)) = path.split_once(ENV_SEPARATOR) else {
        return Err(refuse(
            "not of the form FARTHING_<SECTION>__<KEY>".to_owned(),
        ));
    };
    let section = section.to_ascii_lowercase();
    let key = key.to_ascii_lowercase();
    let Some(toml::Value::Table(settings)) = table.get_mut(&section) else {
        return Err(refuse(format!("the file has no section [{section}]")));
    };
    let Some(current) = settings.get_mut(&key) else {
        return Err(refuse(format!("the file has no setting {section}.{key}")));
    };
    let typed = match current {
        toml::Value::String(_) => Ok(toml::Value::String(text.to_owned())),
        toml::Value::Integer(_) => text
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| "an integer"),
        toml::Value::Boolean(_) => match text {
            "true" => Ok(toml::Value::Boolean(true)),
            "false" => Ok(toml::Value::Boolean(false)),
            _ => Err("true or false"),
        },
        // The file has no float, date or array settings; refuse rather than guess a syntax.
        toml::Value::Float(_)
        | toml::Value::Datetime(_)
        | toml::Value::Array(_)
        | toml::Value::Table(_) => Err("a value that cannot be set from the environment"),
    };
    // The text is not echoed: the reason names the setting and its type, which is enough.
    *current = typed.map_err(|wanted| refuse(format!("{section}.{key} takes {wanted}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: &str = include_str!("../config/farthing.toml");
    const TEST: &str = include_str!("../config/test.toml");

    /// `DEFAULT` with the given overrides.
    fn with(overrides: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let environment = overrides
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()));
        Config::from_toml(DEFAULT, environment)
    }

    #[test]
    fn shipped_files_are_valid() {
        let config = Config::from_toml(DEFAULT, []).unwrap();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.server.data_dir, PathBuf::from("./data"));
        Config::from_toml(TEST, []).unwrap();
    }

    #[test]
    fn environment_overrides_a_key() {
        let config = with(&[
            ("FARTHING_SERVER__LISTEN", "127.0.0.1:9999"),
            ("FARTHING_JOURNAL__BATCH_EVENTS_MAX", "7"),
            ("FARTHING_BUY_WINDOW__SECURE_COOKIES", "true"),
            ("UNRELATED", "x"),
        ])
        .unwrap();
        assert_eq!(config.server.listen.port(), 9999);
        assert_eq!(config.journal.batch_events_max, 7);
        assert!(config.buy_window.secure_cookies);
    }

    #[test]
    fn an_override_of_a_string_key_with_digits_stays_a_string() {
        let config = with(&[("FARTHING_SERVER__DATA_DIR", "123")]).unwrap();
        assert_eq!(config.server.data_dir, PathBuf::from("123"));
        let config = with(&[("FARTHING_ADMIN__KEY_FILE", "true")]).unwrap();
        assert_eq!(config.admin.key_file, "true");
    }

    #[test]
    fn a_money_override_stays_a_string() {
        // Digits alone were once guessed to be a TOML integer and refused for a string key.
        let config = with(&[("FARTHING_BUY_WINDOW__TOP_OFF_AMOUNT", "5")]).unwrap();
        assert_eq!(config.buy_window.top_off_amount, "5");
    }

    #[test]
    fn an_override_not_of_its_keys_type_is_refused_naming_the_key() {
        for (variable, text, key) in [
            (
                "FARTHING_JOURNAL__BATCH_EVENTS_MAX",
                "many",
                "journal.batch_events_max",
            ),
            (
                "FARTHING_JOURNAL__BATCH_EVENTS_MAX",
                "7.5",
                "journal.batch_events_max",
            ),
            (
                "FARTHING_BUY_WINDOW__SECURE_COOKIES",
                "yes",
                "buy_window.secure_cookies",
            ),
        ] {
            match with(&[(variable, text)]) {
                Err(ConfigError::Environment {
                    variable: named,
                    reason,
                }) => {
                    assert_eq!(named, variable);
                    assert!(reason.contains(key), "{reason}");
                }
                other => panic!("{variable}={text}: {other:?}"),
            }
        }
    }

    #[test]
    fn an_override_naming_no_setting_is_refused() {
        for variable in [
            "FARTHING_SERVER__LISTN",
            "FARTHING_SERVE__LISTEN",
            "FARTHING_SERVER_LISTEN",
            "FARTHING_SERVER__LISTEN__PORT",
        ] {
            match with(&[(variable, "127.0.0.1:9999")]) {
                Err(ConfigError::Environment {
                    variable: named, ..
                }) => {
                    assert_eq!(named, variable);
                }
                other => panic!("{variable}: {other:?}"),
            }
        }
        // One step away: the same variable spelled right, in lower case too.
        assert!(with(&[("FARTHING_SERVER__LISTEN", "127.0.0.1:9999")]).is_ok());
        assert!(with(&[("farthing_server__listen", "127.0.0.1:9999")]).is_ok());
    }

    #[test]
    fn a_value_out_of_its_range_is_refused() {
        let refused = with(&[("FARTHING_JOURNAL__BATCH_EVENTS_MAX", "0")]);
        assert!(matches!(
            refused,
            Err(ConfigError::Invalid {
                key: "journal.batch_events_max",
                ..
            })
        ));
    }
}
