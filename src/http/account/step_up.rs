//! Step-up on the account pages: the sensitive forms (limits, payment methods, sub-members,
//! security questions, unfreeze) and the step-up page a vendor's `step_up_url` names.
//!
//! A sensitive form's post runs the API's own function with the step-up token the browser
//! holds; when that function refuses `step_up_required`, the page asks the question in place
//! of the form (`form#step-up`, posting to the form's own route with its fields carried along,
//! never a password, which is typed again). The answer comes back with the form: it is
//! checked by `step_up_api::pass_challenge` first, and the token it earns is handed to the
//! change and kept in a cookie (`farthing_step_up`, HttpOnly, `SameSite=Strict`, `Path=/account`,
//! for `step_up.pass_ms`), so the next sensitive form within that time passes without a
//! question, as the API's `Step-Up` header does. Rejected: a hidden field holding the token,
//! which every page would have to carry and a page left open would keep after it expired.
//!
//! May depend on the shell (`http::office`), `step_up_api` and `web::account`; it decides
//! nothing itself: whether a question is asked and whether an answer is right are the API's.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, SET_COOKIE};
use hyper::{Response, StatusCode};

use super::{Outcome, Seat};
use crate::http::buy_window::Form;
use crate::http::error::ApiError;
use crate::http::step_up_api::{challenge, pass_challenge};
use crate::web::account::{self as pages, ChallengeView, FormError, Section};

/// The step-up cookie's name over http (local development).
const STEP_UP_COOKIE: &str = "farthing_step_up";
/// Its name when cookies are `Secure`.
const STEP_UP_COOKIE_HOST: &str = "__Host-farthing_step_up";
/// Form fields never carried into the question's form: the CSRF token and the answer are its
/// own, and a password is typed again rather than written back into a page.
const NOT_CARRIED: [&str; 4] = ["csrf", "challenge_id", "answer", "password"];
/// Longest `?return=` URL followed.
const RETURN_BYTES_MAX: usize = 2048;

/// What to do next: go on with a value, or answer with a page already made.
pub(super) enum Step<T> {
    /// Go on.
    Go(T),
    /// Answer with this page (a question to answer).
    Page(Response<Full<Bytes>>),
}

/// The step-up a sensitive form's post presents.
pub(super) struct Proof {
    /// The token handed to the API's function: just earned, else the cookie's.
    token: Option<String>,
    /// The `Set-Cookie` keeping a token just earned.
    earned: Option<String>,
}

impl Proof {
    /// The token for the API's function.
    pub(super) fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// `outcome` with the cookie keeping a token just earned.
    pub(super) fn keep(&self, outcome: Outcome) -> Outcome {
        let mut response = outcome?;
        if let Some(value) = self
            .earned
            .as_deref()
            .and_then(|cookie| HeaderValue::from_str(cookie).ok())
        {
            response.headers_mut().append(SET_COOKIE, value);
        }
        Ok(response)
    }
}

/// The step-up of a sensitive form's post: when the form carries an answer to a question
/// asked before, it is checked first (a wrong or stale one asks again); else the cookie's
/// token, if any.
///
/// # Errors
/// `StepUpLocked`, session rejects and the hasher's, from `pass_challenge`.
pub(super) async fn proof(
    seat: &Seat<'_>,
    form: &Form,
    action: &str,
) -> Result<Step<Proof>, ApiError> {
    let (Some(challenge_id), Some(answer)) = (form.get("challenge_id"), form.get("answer")) else {
        let token = seat.browser.cookies.get(cookie_name(seat)).cloned();
        return Ok(Step::Go(Proof {
            token,
            earned: None,
        }));
    };
    match pass_challenge(seat.app, seat.caller.session, challenge_id, answer).await {
        Ok(answered) => {
            let cookie = cookie(seat, &answered.step_up_token);
            Ok(Step::Go(Proof {
                token: Some(answered.step_up_token),
                earned: Some(cookie),
            }))
        }
        Err(ApiError::StepUpAnswerWrong) => {
            ask_again(seat, form, action, Some(FormError::AnswerWrong))
                .await
                .map(Step::Page)
        }
        // Open longer than a challenge lives: a new question, without blame.
        Err(ApiError::InvalidField {
            param: "challenge_id",
            ..
        }) => ask_again(seat, form, action, None).await.map(Step::Page),
        Err(error) => Err(error),
    }
}

/// The result of the API's function, unless it refused `step_up_required`: then the page
/// asking its question.
pub(super) fn unless_asked<T>(
    seat: &Seat<'_>,
    form: &Form,
    action: &str,
    result: Result<T, ApiError>,
) -> Step<Result<T, ApiError>> {
    match result {
        Err(ApiError::StepUpRequired {
            challenge_id,
            question,
        }) => Step::Page(ask(seat, form, action, &challenge_id, &question, None)),
        result => Step::Go(result),
    }
}

/// A new question for the form, after a wrong or stale answer.
async fn ask_again(
    seat: &Seat<'_>,
    form: &Form,
    action: &str,
    error: Option<FormError>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let asked = challenge(seat.app, seat.caller.session)
        .await?
        .ok_or(ApiError::Reject(
            crate::domain::reject::Reject::StepUpNotAsked,
        ))?;
    Ok(ask(
        seat,
        form,
        action,
        &asked.challenge_id,
        &asked.question,
        error,
    ))
}

/// The page asking `question` in place of the form posted to `action`.
fn ask(
    seat: &Seat<'_>,
    form: &Form,
    action: &str,
    challenge_id: &str,
    question: &str,
    error: Option<FormError>,
) -> Response<Full<Bytes>> {
    let carried: Vec<(&str, &str)> = form
        .fields
        .iter()
        .filter(|(name, _)| !NOT_CARRIED.contains(&name.as_str()))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let asked = Asked {
        action,
        question,
        challenge_id,
        carried: &carried,
        retype_password: form.get("password").is_some(),
        for_purchase: false,
    };
    // 403 as the API's `step_up_required`: the change did not happen yet.
    match question_page(seat, &asked, error, StatusCode::FORBIDDEN) {
        Ok(response) => response,
        Err(error) => crate::http::router::problem(&error),
    }
}

/// A question to ask, and the form it stands in for.
struct Asked<'a> {
    /// Where the answer posts (a path of these pages).
    action: &'a str,
    /// The question.
    question: &'a str,
    /// Its sealed challenge.
    challenge_id: &'a str,
    /// The fields posted again with the answer.
    carried: &'a [(&'a str, &'a str)],
    /// A password is typed again.
    retype_password: bool,
    /// For a vendor's purchase rather than a change here.
    for_purchase: bool,
}

/// The page asking `asked`, with `error` about the answer before: `status` when there is
/// none, 400 when there is.
fn question_page(
    seat: &Seat<'_>,
    asked: &Asked<'_>,
    error: Option<FormError>,
    status: StatusCode,
) -> Outcome {
    let action = seat.browser.path(asked.action);
    let view = ChallengeView {
        desk: seat.desk(Section::Summary, error),
        action: &action,
        question: asked.question,
        challenge_id: asked.challenge_id,
        carried: asked.carried,
        retype_password: asked.retype_password,
        for_purchase: asked.for_purchase,
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    seat.respond(status, pages::challenge_page(&view, super::lang(seat)))
}

/// `GET /account/step-up`: a question of the member's, to allow a purchase a vendor was
/// refused (`step_up_url`); a note when the login is never asked.
///
/// # Errors
/// `StepUpLocked`; session rejects.
pub(super) async fn page(seat: &Seat<'_>) -> Outcome {
    let back = seat
        .query_param("return")
        .filter(|url| safe_return(seat, url));
    let Some(asked) = challenge(seat.app, seat.caller.session).await? else {
        let desk = seat.desk(Section::Summary, None);
        let html = pages::step_up_done_page(&desk, false, super::lang(seat));
        return seat.respond(StatusCode::OK, html);
    };
    purchase_question(
        seat,
        &asked.challenge_id,
        &asked.question,
        back.as_deref(),
        None,
    )
}

/// `POST /account/step-up`: answers the question through `step_up_api::pass_challenge`; a
/// right answer lets the purchase through (and the pages' sensitive forms, for as long), then
/// back to `return` when it is this site's or a vendor's, else a page saying so.
///
/// # Errors
/// `CsrfFailed`; `StepUpLocked`; session rejects; the hasher's.
pub(super) async fn answer(seat: &Seat<'_>, form: &Form) -> Outcome {
    seat.check_form(form)?;
    let back = form
        .get("return")
        .filter(|url| safe_return(seat, url))
        .map(str::to_owned);
    let challenge_id = form.get("challenge_id").unwrap_or("");
    let answer = form.get("answer").unwrap_or("");
    let error = match pass_challenge(seat.app, seat.caller.session, challenge_id, answer).await {
        Ok(answered) => {
            let proof = Proof {
                earned: Some(cookie(seat, &answered.step_up_token)),
                token: Some(answered.step_up_token),
            };
            let page = match back {
                Some(url) => Ok(seat
                    .browser
                    .respond(crate::http::buy_window::Page::redirect(url))),
                None => {
                    let desk = seat.desk(Section::Summary, None);
                    let html = pages::step_up_done_page(&desk, true, super::lang(seat));
                    seat.respond(StatusCode::OK, html)
                }
            };
            return proof.keep(page);
        }
        Err(ApiError::StepUpAnswerWrong) => Some(FormError::AnswerWrong),
        Err(ApiError::InvalidField {
            param: "challenge_id",
            ..
        }) => None,
        Err(error) => return Err(error),
    };
    let asked = challenge(seat.app, seat.caller.session)
        .await?
        .ok_or(ApiError::Reject(
            crate::domain::reject::Reject::StepUpNotAsked,
        ))?;
    purchase_question(
        seat,
        &asked.challenge_id,
        &asked.question,
        back.as_deref(),
        error,
    )
}

/// The step-up page's question form, carrying `return` when there is one to follow.
fn purchase_question(
    seat: &Seat<'_>,
    challenge_id: &str,
    question: &str,
    back: Option<&str>,
    error: Option<FormError>,
) -> Outcome {
    let carried: Vec<(&str, &str)> = back.map(|url| ("return", url)).into_iter().collect();
    let asked = Asked {
        action: super::STEP_UP_PATH,
        question,
        challenge_id,
        carried: &carried,
        retype_password: false,
        for_purchase: true,
    };
    question_page(seat, &asked, error, StatusCode::OK)
}

/// Whether `url` may be followed after a right answer, without making the page an open
/// redirect: a path of the account pages, or an http(s) URL on this site's host or on one of
/// a vendor's content domains (where the member was buying).
fn safe_return(seat: &Seat<'_>, url: &str) -> bool {
    if url.len() > RETURN_BYTES_MAX || url.contains('\\') {
        return false;
    }
    if url.starts_with('/') {
        return super::owns_path(url) && !url.starts_with("//");
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    if !matches!(parsed.scheme(), "http" | "https") {
        return false;
    }
    let Some(host) = parsed.host_str().map(str::to_ascii_lowercase) else {
        return false;
    };
    let own = url::Url::parse(&seat.app.public_url)
        .ok()
        .and_then(|public| public.host_str().map(str::to_ascii_lowercase));
    own.as_deref() == Some(host.as_str())
        || seat
            .app
            .registry
            .vendors()
            .iter()
            .any(|vendor| vendor.profile.owns_host(&host))
}

/// The step-up cookie's name for this browser's cookie rules.
fn cookie_name(seat: &Seat<'_>) -> &'static str {
    if seat.browser.secure {
        STEP_UP_COOKIE_HOST
    } else {
        STEP_UP_COOKIE
    }
}

/// The `Set-Cookie` keeping a step-up token for as long as it counts. Strict and (over http)
/// scoped to the account pages: only their own forms ever send it back.
fn cookie(seat: &Seat<'_>, token: &str) -> String {
    let max_age_s = seat.app.config.step_up.pass_ms / 1000;
    let scope = if seat.browser.secure {
        "Path=/; HttpOnly; SameSite=Strict; Secure"
    } else {
        "Path=/account; HttpOnly; SameSite=Strict"
    };
    format!(
        "{}={token}; {scope}; Max-Age={max_age_s}",
        cookie_name(seat)
    )
}
