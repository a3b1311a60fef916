//! Entry points of the fuzz targets (`fuzz/`) and of the corpus replay test
//! (`tests/fuzz_corpus.rs`): one function per kind of untrusted input, each taking raw bytes.
//!
//! Each runs the code the server runs on that input and asserts what must hold for any
//! input: it never panics, every refusal is a client error (4xx) rather than a fault, and
//! what is accepted reads back the same (an amount formats and parses to itself, an accepted
//! body's event replays from the journal). A panic here is a finding. The fuzzer and the
//! replay test call the same functions, so an input the fuzzer once found replays as an
//! ordinary test forever.
//!
//! Hidden from the docs and not an API: it exists so the targets need no internals made
//! public. It may depend on everything below `node`; nothing may depend on it.

use hyper::HeaderMap;
use hyper::header::{COOKIE, HeaderValue};

use crate::crypto::token::{HEADER_BYTES, Header, NONCE_BYTES};
use crate::crypto::{AccessClaims, BuyerClaims, Claims, LocatorKey, SessionClaims, TokenKeys};
use crate::domain::account::{OpenAccount, check_open_fields, decide_open};
use crate::domain::ids::{AccountId, LoginId, OfferId, VendorId};
use crate::domain::money::{Currency, format_amount, parse_amount};
use crate::domain::time::Timestamp;
use crate::domain::vendor::{VendorProfile, decide_register};
use crate::http::buy_window::{COOKIE_PAIRS_MAX, FORM_FIELDS_MAX, Form, parse_cookies};
use crate::http::dto;
use crate::http::error::ApiError;
use crate::http::json::parse_json;
use crate::web::i18n::Lang;

/// A target: it takes any bytes and panics only on a finding.
pub type Target = fn(&[u8]);

/// Every target by name: the fuzz binaries and the corpus directories use these names.
pub const TARGETS: [(&str, Target); 7] = [
    ("money", money),
    ("token", token),
    ("request_body", request_body),
    ("form", form),
    ("cookie", cookie),
    ("accept_language", accept_language),
    ("journal", journal),
];

/// The instant the targets take as now: 2023-11-14T22:13:20Z.
const NOW_MS: u64 = 1_700_000_000_000;
/// The vendor the targets' tokens are scoped to.
const VENDOR: u64 = 42;

/// A wire amount (JSON fields, the buy window's add-funds form): an accepted amount matches
/// the documented grammar, fits a balance, and formats back to itself in every currency
/// that shows all its digits.
///
/// # Panics
/// When a property fails.
pub fn money(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_amount(text);
    if let Ok(amount) = parsed {
        assert!(
            matches_amount_grammar(text),
            "{text:?} was accepted but breaks the grammar"
        );
        assert!(i64::try_from(amount.micros()).is_ok());
        for code in ["USD", "JPY", "TND"] {
            let Ok(currency) = Currency::parse(code) else {
                panic!("{code} is in the currency table");
            };
            let formatted = format_amount(amount, currency);
            assert_eq!(parse_amount(&formatted), Ok(amount), "{formatted:?}");
            for lang in Lang::ALL {
                let _ = crate::web::display_amount(amount, currency, lang);
            }
        }
    } else if matches_amount_grammar(text) {
        // Only an amount too large for a balance may be refused when the grammar matches.
        assert_eq!(
            parsed,
            Err(crate::domain::money::MoneyError::TooLarge),
            "{text:?}"
        );
    }
    if let Ok(currency) = Currency::parse(text) {
        assert_eq!(currency.code(), text);
        assert_eq!(currency.code_static(), text);
    }
    let value = serde_json::Value::String(text.to_owned());
    assert_eq!(dto::amount_field(&value, "amount").ok(), parsed.ok());
}

/// `^(0|[1-9][0-9]*)(\.[0-9]{1,6})?$`, written out independently of `parse_amount`.
fn matches_amount_grammar(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let whole_ok = whole == "0" || (digits(whole) && !whole.starts_with('0'));
    let fraction_ok = fraction.is_none_or(|f| digits(f) && f.len() <= 6);
    whole_ok && fraction_ok
}

/// Token open, for every token kind, two ways chosen by the first byte: the rest as a token
/// string (what a client sends), or as a header, nonce and claims sealed under the server's
/// key (so the checks after authentication see fuzzed claims too). Whatever opens must have
/// passed every check: its purpose, its vendor, its shape and its expiry.
///
/// # Panics
/// When a property fails.
pub fn token(data: &[u8]) {
    let keys = TokenKeys::from_keys_for_tests(vec![(1, [1; 32]), (2, [2; 32])]);
    let locator = LocatorKey::from_bytes_for_tests([3; 64]);
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        open_all(&keys, text, None);
        if let Some((account, authorization)) = locator.open_authorization(text) {
            assert_eq!(locator.seal_authorization(account, authorization), text);
        }
        return;
    }
    let Some((header, rest)) = rest.split_first_chunk::<HEADER_BYTES>() else {
        return;
    };
    let Some((nonce, plaintext)) = rest.split_first_chunk::<NONCE_BYTES>() else {
        // Too short for a token: the bytes are an account and authorization to seal as a
        // locator, which must open to the same pair.
        if let Some((account, rest)) = rest.split_first_chunk::<8>()
            && let Some((authorization, _)) = rest.split_first_chunk::<8>()
        {
            let account = u64::from_be_bytes(*account);
            let authorization = u64::from_be_bytes(*authorization);
            let id = locator.seal_authorization(account, authorization);
            assert_eq!(
                locator.open_authorization(&id),
                Some((account, authorization))
            );
        }
        return;
    };
    let sealed = keys.seal_raw_for_fuzzing(*header, *nonce, plaintext);
    open_all(&keys, &sealed, Some((*header, plaintext)));
}

/// Opens `text` as each claims type; when the header and plaintext it was sealed from are
/// known, checks that an open succeeds only when every check should pass, and gives back
/// exactly the claims sealed.
fn open_all(keys: &TokenKeys, text: &str, sealed: Option<([u8; HEADER_BYTES], &[u8])>) {
    check_open::<SessionClaims>(keys, text, 0, sealed);
    check_open::<BuyerClaims>(keys, text, VENDOR, sealed);
    check_open::<AccessClaims>(keys, text, VENDOR, sealed);
}

fn check_open<C: Claims + std::fmt::Debug>(
    keys: &TokenKeys,
    text: &str,
    vendor: u64,
    sealed: Option<([u8; HEADER_BYTES], &[u8])>,
) {
    let Ok(claims) = keys.open::<C>(text, vendor, NOW_MS) else {
        return;
    };
    assert!(NOW_MS < claims.expires_at_ms(), "{claims:?} opened expired");
    if let Some(claims_vendor) = claims.vendor() {
        assert_eq!(claims_vendor, vendor);
    }
    let Some((header, plaintext)) = sealed else {
        return;
    };
    let header = Header::from_bytes(header);
    assert_eq!(header.version, 1);
    assert_eq!(header.purpose, C::PURPOSE.to_byte());
    assert!(matches!(header.key_id, 1 | 2));
    assert_eq!(header.vendor, vendor);
    let mut encoded = Vec::new();
    claims.encode(&mut encoded);
    // What open returned is what the sealed bytes decode to. Compared through the encoding,
    // not the bytes: an older layout (a session token of four fields, from before
    // sub-members) opens as today's claims and encodes in today's layout.
    let Some(direct) = C::decode(plaintext) else {
        panic!("open accepted claims that do not decode: {claims:?}");
    };
    let mut sealed_claims = Vec::new();
    direct.encode(&mut sealed_claims);
    assert_eq!(
        encoded, sealed_claims,
        "open returned other claims than were sealed"
    );
}

/// The request types whose bodies the API reads, in the order the first byte selects them.
const REQUEST_TYPES: u8 = 14;

/// Every JSON request body: the first byte picks the request type, the rest is the body. It
/// goes through `parse_json`, the type's one conversion and the pure domain check that
/// follows it in the handler. Every refusal must be a 4xx, and an event the domain accepts
/// must read back the same from the journal.
///
/// # Panics
/// When a property fails.
pub fn request_body(data: &[u8]) {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    if let Err(error) = convert_body(kind % REQUEST_TYPES, body) {
        let (status, code, _) = error.describe();
        assert!(
            status.is_client_error(),
            "a bad body got {status} {code}: {error:?}"
        );
    }
}

fn convert_body(kind: u8, body: &[u8]) -> Result<(), ApiError> {
    let now = Timestamp(1_700_000_000_000);
    match kind {
        0 => {
            let (_, priced) = parse_json::<dto::AuthorizeRequest>(body)?.into_parts()?;
            if let dto::Priced::Inline(draft) = priced {
                draft.check(&fuzz_vendor(), now)?;
            }
        }
        1 => {
            for item in parse_json::<dto::BatchRequest>(body)?.into_items()? {
                // A bad item is that item's problem; it must still be a 4xx.
                let checked = item.and_then(|request| {
                    let (_, priced) = request.into_parts()?;
                    if let dto::Priced::Inline(draft) = priced {
                        draft.check(&fuzz_vendor(), now)?;
                    }
                    Ok(())
                });
                if let Err(error) = checked {
                    assert!(error.describe().0.is_client_error(), "{error:?}");
                }
            }
        }
        2 => {
            parse_json::<dto::AccessRequest>(body)?.into_parts()?;
        }
        3 => {
            let registration =
                parse_json::<dto::VendorRequest>(body)?.into_registration([7; 32])?;
            let event = decide_register(VendorId(VENDOR), registration, now)?;
            crate::storage::fuzz_event_round_trip(1, &event);
        }
        4 => {
            parse_json::<dto::DepositRequest>(body)?.into_parts()?;
        }
        5 => {
            parse_json::<dto::CreditLineRequest>(body)?.into_parts()?;
        }
        6 => {
            parse_json::<dto::ReversalRequest>(body)?.into_reason()?;
        }
        7 => {
            parse_json::<dto::BulkMembersRequest>(body)?.into_parts(100)?;
        }
        8 => {
            let (draft, _) = parse_json::<dto::OfferRequest>(body)?.into_parts()?;
            draft.check(&fuzz_vendor(), now)?;
        }
        9 => register(parse_json::<dto::RegisterRequest>(body)?, now)?,
        10 => {
            parse_json::<dto::SignInRequest>(body)?;
        }
        11 => {
            parse_json::<dto::BuyerTokenRequest>(body)?.into_vendor()?;
        }
        12 => {
            parse_json::<dto::AddPaymentMethodRequest>(body)?.into_method(now)?;
        }
        _ => {
            parse_json::<dto::LimitsRequest>(body)?.into_limits()?;
        }
    }
    Ok(())
}

/// What `POST /v1/members` decides before hashing, then the account's opening, which must
/// replay.
fn register(request: dto::RegisterRequest, now: Timestamp) -> Result<(), ApiError> {
    let currency = dto::currency_field(&request.currency, "currency")?;
    let time_zone = request.time_zone.unwrap_or_else(|| "UTC".to_owned());
    check_open_fields(&request.language, &time_zone)?;
    let events = decide_open(
        OpenAccount {
            account: AccountId(1),
            login: LoginId(2),
            email: Some(request.email),
            password_hash: String::new(),
            language: request.language,
            time_zone,
            currency,
            payment_method: None,
            signup_bonus: None,
            referral: None,
            vendor_offers_declined: false,
            security_questions: Vec::new(),
        },
        now,
    )?;
    for (position, event) in (1..).zip(&events) {
        crate::storage::fuzz_event_round_trip(position, event);
    }
    Ok(())
}

fn fuzz_vendor() -> VendorProfile {
    let Ok(usd) = Currency::parse("USD") else {
        panic!("USD is in the currency table");
    };
    VendorProfile {
        id: VendorId(VENDOR),
        name: "Fuzz".to_owned(),
        currency: usd,
        content_domains: vec!["news.example".to_owned()],
        fee_ppm: 50_000,
        api_key_digest: [7; 32],
        registered_at: Timestamp(0),
    }
}

/// A buy-window form body, and the fields the flows read from it: the form keeps at most
/// `FORM_FIELDS_MAX` fields, and what the flows parse from it (amount, offer id, language,
/// currency, time zone) is refused without a panic.
///
/// # Panics
/// When a property fails.
pub fn form(data: &[u8]) {
    let form = Form::parse(data);
    assert!(form.fields.len() <= FORM_FIELDS_MAX);
    if let Some(typed) = form.get("amount") {
        let _ = parse_amount(typed.trim());
    }
    if let Some(offer) = form.get("offer")
        && let Ok(id) = offer.parse::<OfferId>()
    {
        assert_eq!(id.to_string().parse::<OfferId>(), Ok(id));
    }
    if let Some(lang) = form.get("lang").and_then(Lang::from_tag) {
        assert_eq!(Lang::from_tag(lang.code()), Some(lang));
    }
    let request = dto::RegisterRequest {
        vendor_offers: None,
        email: form.get("email").unwrap_or("").trim().to_owned(),
        password: form.get("password").unwrap_or("").to_owned(),
        language: form.get("language").unwrap_or("en").to_owned(),
        currency: form.get("currency").unwrap_or("USD").to_owned(),
        time_zone: form.get("time_zone").map(str::to_owned),
        referred_by: form.get("ref").map(str::to_owned),
        security_questions: None,
    };
    let _ = register(request, Timestamp(1_700_000_000_000));
}

/// `Cookie` headers (one per line of the input): at most `COOKIE_PAIRS_MAX` pairs are read,
/// and the session cookie's value goes through token open like any session token.
///
/// # Panics
/// When a property fails.
pub fn cookie(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n').take(8) {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
        }
    }
    let cookies = parse_cookies(&headers);
    assert!(cookies.len() <= COOKIE_PAIRS_MAX);
    let keys = TokenKeys::from_keys_for_tests(vec![(1, [1; 32])]);
    if let Some(token) = cookies.get("farthing_session") {
        let _ = keys.open::<SessionClaims>(token, 0, NOW_MS);
    }
}

/// `Accept-Language` (and the `?lang=` and stored tags that take precedence over it): the
/// page language is always one we write, an explicit choice wins, and a header naming
/// none of our languages falls back to English.
///
/// # Panics
/// When a property fails.
pub fn accept_language(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let chosen = Lang::negotiate(None, None, Some(text));
    assert!(Lang::ALL.contains(&chosen));
    let lower = text.to_ascii_lowercase();
    if !["en", "ja", "pt"].iter().any(|code| lower.contains(code)) {
        assert_eq!(chosen, Lang::En, "{text:?}");
    }
    if let Some(lang) = Lang::from_tag(text) {
        assert_eq!(Lang::negotiate(Some(text), None, None), lang);
        assert_eq!(Lang::negotiate(Some(text), Some("ja"), Some("pt")), lang);
    }
}

/// Stored values read back at start-up: the first byte picks a journal record, an account,
/// vendor or checkpoint snapshot, or a directory row; a corrupt value is an error, never a
/// panic, and one that decodes reads back the same.
///
/// # Panics
/// When a property fails.
pub fn journal(data: &[u8]) {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    crate::storage::fuzz_stored_value(kind, bytes);
}
