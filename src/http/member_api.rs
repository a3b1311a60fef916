//! Member calls: register, sign in and out, buyer tokens, limits, freeze, account view.
//! Password hashing (argon2id) runs on the blocking pool, never on a shard thread.

use bytes::Bytes;
use hyper::header::HeaderMap;

use super::app::{App, ask, new_id};
use super::dto::{self, BuyerTokenRequest, LimitsRequest, RegisterRequest, SignInRequest};
use super::error::ApiError;
use super::json::{parse_json, rfc3339, to_json};
use crate::actors::messages::{
    AccountView, CheckSessionMessage, LoginLookupMessage, MemberCommand, MemberCommandMessage,
    OpenMessage, StartSessionMessage, ViewMessage,
};
use crate::crypto::token::{BuyerClaims, SessionClaims};
use crate::domain::account::{AccountState, Login, PaymentMethod, SessionExpiry};
use crate::domain::event::Event;
use crate::domain::ids::{AccountId, LoginId, SessionId, VendorId};
use crate::domain::limits::Limits;
use crate::domain::money::{format_amount, format_balance};
use crate::domain::reject::Reject;
use crate::domain::time::MemberZone;

/// Shortest password accepted.
const PASSWORD_CHARS_MIN: usize = 8;
/// Longest password accepted (argon2 input bound).
const PASSWORD_BYTES_MAX: usize = 1024;
/// Longest e-mail (RFC 5321).
const EMAIL_BYTES_MAX: usize = 254;

fn normalize_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let well_formed = email.len() <= EMAIL_BYTES_MAX
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if well_formed {
        Ok(email)
    } else {
        Err(ApiError::InvalidField {
            param: "email",
            detail: "an e-mail address".to_owned(),
        })
    }
}

fn argon2(app: &App) -> Result<argon2::Argon2<'static>, ApiError> {
    let members = &app.config.members;
    let params = argon2::Params::new(
        members.argon2_memory_kib,
        members.argon2_iterations,
        members.argon2_parallelism,
        None,
    )
    .map_err(|_| ApiError::Unavailable)?;
    Ok(argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params,
    ))
}

/// `POST /v1/members`.
///
/// # Errors
/// Invalid fields, `EmailTaken`, faults.
pub async fn register(app: &App, body: Bytes) -> Result<Bytes, ApiError> {
    let request: RegisterRequest = parse_json(&body)?;
    let account = register_member(app, request, None).await?;
    Ok(to_json(
        &serde_json::json!({ "member_id": account.to_string() }),
    ))
}

/// Registers a member: checks the fields, hashes the password, claims the e-mail and
/// journals the opening (with the payment method to save, when the buy window's register
/// form asked for one).
///
/// # Errors
/// `InvalidField` naming the field, `EmailTaken`, faults.
pub async fn register_member(
    app: &App,
    request: RegisterRequest,
    payment_method: Option<PaymentMethod>,
) -> Result<AccountId, ApiError> {
    let email = normalize_email(&request.email)?;
    if request.password.chars().count() < PASSWORD_CHARS_MIN
        || request.password.len() > PASSWORD_BYTES_MAX
    {
        return Err(ApiError::InvalidField {
            param: "password",
            detail: "8 to 1024 characters".to_owned(),
        });
    }
    let language = request.language.trim().to_owned();
    let language_ok = (2..=16).contains(&language.len())
        && language
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !language_ok {
        return Err(ApiError::InvalidField {
            param: "language",
            detail: "a language tag such as en, ja or pt-BR".to_owned(),
        });
    }
    let currency = dto::currency_field(&request.currency, "currency")?;
    let zone_name = request.time_zone.unwrap_or_else(|| "UTC".to_owned());
    MemberZone::new(&zone_name).map_err(|_| ApiError::InvalidField {
        param: "time_zone",
        detail: "an IANA time zone name".to_owned(),
    })?;
    let hasher = argon2(app)?;
    let password = request.password;
    let hash = tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        let salt = SaltString::generate(&mut OsRng);
        hasher
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|_| ApiError::Unavailable)?
    .map_err(|_| ApiError::Unavailable)?;
    let account = AccountId(new_id());
    if !app.registry.claim_email(&email, account) {
        return Err(ApiError::EmailTaken);
    }
    let now = app.now();
    let mut events = vec![Event::AccountOpened {
        account,
        login: Login {
            id: LoginId(new_id()),
            email: Some(email.clone()),
            password_hash: hash,
        },
        language,
        time_zone: zone_name,
        currency,
        at: now,
    }];
    if let Some(method) = payment_method {
        events.push(Event::PaymentMethodSaved {
            account,
            method: Some(method),
            at: now,
        });
    }
    let result = open_account(app, events).await;
    if result.is_err() {
        app.registry.release_email(&email);
    }
    result
}

/// Starts the actor of a new account and journals its opening events.
///
/// # Errors
/// Faults.
pub async fn open_account(app: &App, events: Vec<Event>) -> Result<AccountId, ApiError> {
    let state = events
        .first()
        .and_then(AccountState::from_opened)
        .ok_or(ApiError::Unavailable)?;
    let account = state.id;
    let addr = app
        .registry
        .activate(state)
        .map_err(|_| ApiError::Overloaded)?;
    // `send`, not `try_send`: a new actor starts with a small default mailbox until it runs,
    // and this message is its first; waiting a moment for room is right here.
    let (reply, answer) = tokio::sync::oneshot::channel();
    addr.send(OpenMessage { events, reply })
        .await
        .map_err(|_| ApiError::Unavailable)?;
    answer
        .await
        .map_err(|_| ApiError::Unavailable)?
        .map_err(ApiError::from)?;
    Ok(account)
}

/// `POST /v1/sessions`.
///
/// # Errors
/// `Unauthenticated` for an unknown e-mail or a wrong password; faults.
pub async fn sign_in(app: &App, body: Bytes) -> Result<Bytes, ApiError> {
    let request: SignInRequest = parse_json(&body)?;
    let expiry = match request.expiry.as_str() {
        "absolute" => SessionExpiry::Absolute {
            expires_at: app.now().plus_ms(app.config.tokens.session_absolute_ttl_ms),
        },
        "idle" => SessionExpiry::Idle {
            idle_ms: app.config.tokens.session_idle_ttl_ms,
        },
        _ => {
            return Err(ApiError::InvalidField {
                param: "expiry",
                detail: "absolute or idle".to_owned(),
            });
        }
    };
    let (account, login) = authenticate(app, &request.email, request.password).await?;
    let (session, expires_at) = start_session(app, account, login, expiry).await?;
    let token = seal_session(app, account, login, session);
    Ok(to_json(
        &serde_json::json!({ "session_token": token, "expires_at": rfc3339(expires_at) }),
    ))
}

/// Checks an e-mail and password; answers the account and login they sign in to.
///
/// # Errors
/// `Unauthenticated` for an unknown e-mail or a wrong password (which one is not said);
/// faults.
pub async fn authenticate(
    app: &App,
    email: &str,
    password: String,
) -> Result<(AccountId, LoginId), ApiError> {
    let email = normalize_email(email).map_err(|_| ApiError::Unauthenticated)?;
    let account = app
        .registry
        .account_by_email(&email)
        .ok_or(ApiError::Unauthenticated)?;
    let addr = app.account(account)?;
    let (login, hash) = ask(&addr, |reply| LoginLookupMessage { email, reply })
        .await
        .map_err(|_| ApiError::Unauthenticated)?;
    let hasher = argon2(app)?;
    let verified = tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| hasher.verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|_| ApiError::Unavailable)?;
    if !verified {
        return Err(ApiError::Unauthenticated);
    }
    Ok((account, login))
}

/// Opens a server-side session for a login; answers its id and expiry.
///
/// # Errors
/// Rejects (a frozen account may sign in; see the domain) and faults.
pub async fn start_session(
    app: &App,
    account: AccountId,
    login: LoginId,
    expiry: SessionExpiry,
) -> Result<(SessionId, crate::domain::time::Timestamp), ApiError> {
    let addr = app.account(account)?;
    let session = SessionId(new_id());
    let expires_at = ask(&addr, |reply| StartSessionMessage {
        login,
        session,
        expiry,
        reply,
    })
    .await?;
    Ok((session, expires_at))
}

/// Seals a session token. Its own expiry is the absolute session lifetime, a cap: the account
/// actor decides whether the session is still live.
#[must_use]
pub fn seal_session(app: &App, account: AccountId, login: LoginId, session: SessionId) -> String {
    let cap = app.now().plus_ms(app.config.tokens.session_absolute_ttl_ms);
    let claims = SessionClaims {
        account: account.0,
        login: login.0,
        session: session.0,
        expires_at_ms: u64::try_from(cap.0).unwrap_or(0),
    };
    app.tokens.seal(&claims, 0, &mut rand::rngs::OsRng)
}

/// Seals a buyer token for `vendor`, capped like a session token.
#[must_use]
pub fn seal_buyer(
    app: &App,
    account: AccountId,
    login: LoginId,
    session: SessionId,
    vendor: VendorId,
) -> String {
    let cap = app.now().plus_ms(app.config.tokens.session_absolute_ttl_ms);
    let claims = BuyerClaims {
        account: account.0,
        login: login.0,
        session: session.0,
        vendor: vendor.0,
        expires_at_ms: u64::try_from(cap.0).unwrap_or(0),
    };
    app.tokens.seal(&claims, vendor.0, &mut rand::rngs::OsRng)
}

/// Maps session rejects on member calls to 401: the caller's credential is what failed.
fn member_error(error: ApiError) -> ApiError {
    match error {
        ApiError::Reject(
            Reject::SessionUnknown | Reject::SessionEnded | Reject::SessionExpired,
        ) => ApiError::Unauthenticated,
        other => other,
    }
}

/// `POST /v1/buyer-tokens`.
///
/// # Errors
/// `Unauthenticated`, `NotFound` (vendor), faults.
pub async fn buyer_token(app: &App, headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    let (account, login, session) = app.member(headers)?;
    let request: BuyerTokenRequest = parse_json(&body)?;
    let vendor: VendorId = dto::id_field(&request.vendor_id, "vendor_id")?;
    app.registry.vendor(vendor).ok_or(ApiError::NotFound)?;
    let addr = app
        .account(account)
        .map_err(|_| ApiError::Unauthenticated)?;
    let expires_at = ask(&addr, |reply| CheckSessionMessage {
        login,
        session,
        reply,
    })
    .await
    .map_err(member_error)?;
    let token = seal_buyer(app, account, login, session, vendor);
    Ok(to_json(
        &serde_json::json!({ "buyer_token": token, "expires_at": rfc3339(expires_at) }),
    ))
}

async fn member_command(
    app: &App,
    headers: &HeaderMap,
    command: MemberCommand,
) -> Result<Bytes, ApiError> {
    let (account, login, session) = app.member(headers)?;
    let addr = app
        .account(account)
        .map_err(|_| ApiError::Unauthenticated)?;
    ask(&addr, |reply| MemberCommandMessage {
        login,
        session,
        command,
        reply,
    })
    .await
    .map_err(member_error)?;
    Ok(to_json(&serde_json::json!({ "ok": true })))
}

/// `DELETE /v1/sessions/current`.
///
/// # Errors
/// `Unauthenticated`, faults.
pub async fn sign_out(app: &App, headers: &HeaderMap) -> Result<Bytes, ApiError> {
    member_command(app, headers, MemberCommand::EndSession).await
}

/// `POST /v1/members/me/freeze` and `/unfreeze`.
///
/// # Errors
/// `Unauthenticated`, faults.
pub async fn freeze(app: &App, headers: &HeaderMap, frozen: bool) -> Result<Bytes, ApiError> {
    member_command(app, headers, MemberCommand::Freeze(frozen)).await
}

/// `PUT /v1/members/me/payment-method`: `{"method": "test_card"}` saves the built-in test
/// processor's card for top-offs; `{"method": null}` removes it.
///
/// # Errors
/// Invalid fields, `Unauthenticated`, faults.
pub async fn payment_method(
    app: &App,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Bytes, ApiError> {
    let request: dto::PaymentMethodRequest = parse_json(&body)?;
    let method = match request.method.as_deref() {
        None => None,
        Some("test_card") => Some(PaymentMethod::TestCard),
        Some(_) => {
            return Err(ApiError::InvalidField {
                param: "method",
                detail: "\"test_card\" or null".to_owned(),
            });
        }
    };
    member_command(app, headers, MemberCommand::SavePaymentMethod(method)).await
}

/// `PUT /v1/members/me/limits`.
///
/// # Errors
/// Invalid fields, `Unauthenticated`, faults.
pub async fn set_limits(app: &App, headers: &HeaderMap, body: Bytes) -> Result<Bytes, ApiError> {
    let request: LimitsRequest = parse_json(&body)?;
    let currency = dto::currency_field(&request.currency, "currency")?;
    let vendors_allowed = match request.vendors_allowed {
        None => None,
        Some(ids) => Some(
            ids.iter()
                .map(|id| dto::id_field::<VendorId>(id, "vendors_allowed"))
                .collect::<Result<std::collections::BTreeSet<_>, _>>()?,
        ),
    };
    let limits = Limits {
        per_transaction: dto::optional_amount_field(
            request.per_transaction.as_ref(),
            "per_transaction",
        )?,
        per_session: dto::optional_amount_field(request.per_session.as_ref(), "per_session")?,
        per_day: dto::optional_amount_field(request.per_day.as_ref(), "per_day")?,
        per_week: dto::optional_amount_field(request.per_week.as_ref(), "per_week")?,
        per_month: dto::optional_amount_field(request.per_month.as_ref(), "per_month")?,
        vendors_allowed,
    };
    member_command(app, headers, MemberCommand::SetLimits { currency, limits }).await
}

/// `GET /v1/members/me`.
///
/// # Errors
/// `Unauthenticated`, faults.
pub async fn me(app: &App, headers: &HeaderMap) -> Result<Bytes, ApiError> {
    let (account, login, session) = app.member(headers)?;
    let addr = app
        .account(account)
        .map_err(|_| ApiError::Unauthenticated)?;
    let view = ask(&addr, |reply| ViewMessage {
        session: Some((login, session)),
        reply,
    })
    .await
    .map_err(member_error)?;
    Ok(to_json(&view_json(account, &view)))
}

/// An account view as JSON, for members and admins alike.
#[must_use]
pub fn view_json(account: AccountId, view: &AccountView) -> serde_json::Value {
    let amount = |a: Option<crate::domain::money::Amount>, c| a.map(|a| format_amount(a, c));
    serde_json::json!({
        "member_id": account.to_string(),
        "frozen": view.frozen,
        "wallets": view.wallets.iter().map(|(currency, balance, credit)| serde_json::json!({
            "currency": currency.code(),
            "balance": format_balance(*balance, *currency),
            "credit_limit": format_amount(*credit, *currency),
        })).collect::<Vec<_>>(),
        "limits": view.limits.iter().map(|(currency, limits)| serde_json::json!({
            "currency": currency.code(),
            "per_transaction": amount(limits.per_transaction, *currency),
            "per_session": amount(limits.per_session, *currency),
            "per_day": amount(limits.per_day, *currency),
            "per_week": amount(limits.per_week, *currency),
            "per_month": amount(limits.per_month, *currency),
            "vendors_allowed": limits.vendors_allowed.as_ref().map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>()),
        })).collect::<Vec<_>>(),
        "entitlement_count": view.entitlement_count,
        "recent_activity": view.recent.iter().map(|e| serde_json::json!({
            "authorization_id": e.authorization.to_string(),
            "vendor_id": e.key.vendor.to_string(),
            "price": format_amount(e.price, e.currency),
            "currency": e.currency.code(),
            "purchased_at": rfc3339(e.purchased_at),
            "reversed": e.reversed,
        })).collect::<Vec<_>>(),
    })
}
