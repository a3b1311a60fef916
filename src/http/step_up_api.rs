//! Step-up over HTTP ([0144], [0154]-[0158]): a sensitive change by a member who set security
//! questions is refused `403 step_up_required` with a challenge (a sealed token naming the
//! question, for this session only) and the question; the member answers it at
//! `POST /v1/step-up` and retries with the `Step-Up: <token>` header. The answer is checked
//! against its argon2id hash here, on the hasher's bounded pool; the account counts the
//! outcome (three wrong in a row end the session and lock step-up). Also the routes that set
//! the questions and change a password, both behind step-up themselves.
//!
//! The checks and the answer are functions of their own ([`require_step_up_token`],
//! [`challenge`], [`pass_challenge`], [`set_questions`]) so the account pages run the same
//! code with the token they keep in a cookie instead of the header.
//!
//! May depend on: the app, the DTOs, tokens, the actors' gateway, the domain's step-up rules.

use hyper::StatusCode;
use hyper::header::HeaderMap;

use super::app::{App, MemberSession};
use super::dto::{
    ChangePasswordRequest, Done, SecurityQuestionsRequest, StepUpAnswered, StepUpChallenge,
    StepUpRequest,
};
use super::error::{ApiError, Problem};
use super::json::{parse_json, rfc3339};
use super::member_api::{check_password, command, member_command, member_error};
use super::router::json;
use super::routes::{Call, Outcome};
use crate::actors::messages::MemberCommand;
use crate::crypto::token::{StepUpChallengeClaims, StepUpClaims};
use crate::domain::reject::Reject;
use crate::domain::step_up::{SecurityQuestion, check_questions, normalize_answer};
use crate::domain::time::Timestamp;

/// The header a retried sensitive change carries its step-up token in.
pub const STEP_UP_HEADER: &str = "step-up";

/// Lets a sensitive change through when the member is never asked, or the request carries a
/// step-up token of this session that has not expired; otherwise refuses it with a challenge.
///
/// # Errors
/// `StepUpRequired` with the challenge; `StepUpLocked` while locked; session rejects.
pub async fn require_step_up(
    app: &App,
    headers: &HeaderMap,
    member: MemberSession,
) -> Result<(), ApiError> {
    require_step_up_token(app, step_up_header(headers), member).await
}

/// The step-up token a request carries in its `Step-Up` header, if any.
#[must_use]
pub fn step_up_header(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(STEP_UP_HEADER)
        .and_then(|value| value.to_str().ok())
}

/// [`require_step_up`] for a token that came some other way than the header (the account
/// pages keep it in a cookie or a form): the one check of both doors.
///
/// # Errors
/// `StepUpRequired` with the challenge; `StepUpLocked` while locked; session rejects.
pub async fn require_step_up_token(
    app: &App,
    token: Option<&str>,
    member: MemberSession,
) -> Result<(), ApiError> {
    let now_ms = epoch_ms(app.now());
    let passed = token
        .and_then(|token| {
            app.tokens
                .open::<StepUpClaims>(token.trim(), 0, now_ms)
                .ok()
        })
        .is_some_and(|claims| {
            (claims.account, claims.login, claims.session)
                == (member.account.0, member.login.0, member.session.0)
        });
    if passed {
        return Ok(());
    }
    match challenge(app, member).await? {
        None => Ok(()),
        Some(asked) => Err(ApiError::StepUpRequired {
            challenge_id: asked.challenge_id,
            question: asked.question,
        }),
    }
}

/// A purchase a vendor asked for that needs the member's step-up: no member is present, so
/// the refusal names the account page the vendor sends the member's browser to (signed in
/// there, they answer a question), after which the vendor retries. Other errors pass.
#[must_use]
pub fn at_page(app: &App, error: ApiError) -> ApiError {
    match error {
        ApiError::Reject(Reject::StepUpRequired) => ApiError::StepUpAtPage {
            url: format!(
                "{}/account/step-up",
                app.config.buy_window.public_url.trim_end_matches('/')
            ),
        },
        other => other,
    }
}

/// A challenge for the member's session: a question drawn at random, sealed with its place;
/// `None` for a login that is never asked. Also the account pages' step-up page.
///
/// # Errors
/// `StepUpLocked` while locked; session rejects.
pub async fn challenge(
    app: &App,
    member: MemberSession,
) -> Result<Option<StepUpChallenge>, ApiError> {
    let pick: usize = rand::random::<u16>().into();
    let asked = app
        .registry
        .step_up_question(member.account, member.login, member.session, pick)
        .await
        .map_err(member_error)?;
    let Some((index, question)) = asked else {
        return Ok(None);
    };
    let expires_at = app.now().plus_ms(app.config.step_up.challenge_ttl_ms);
    let claims = StepUpChallengeClaims {
        account: member.account.0,
        login: member.login.0,
        session: member.session.0,
        question: u64::try_from(index).unwrap_or(u64::MAX),
        expires_at_ms: epoch_ms(expires_at),
    };
    Ok(Some(StepUpChallenge {
        challenge_id: app.tokens.seal(&claims, 0, &mut rand::thread_rng()),
        question: question.question,
        expires_at: rfc3339(expires_at),
    }))
}

/// `POST /v1/members/me/step-up-challenges`: asks a security question now (the account pages
/// ask before an unusual purchase the vendor was refused).
#[utoipa::path(post, path = "/v1/members/me/step-up-challenges", tag = "members",
    responses((status = 201, description = "A question to answer", body = StepUpChallenge),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "Step-up is locked for a while (step_up_locked)", body = Problem),
        (status = 409, description = "The login is never asked: no security questions (step_up_not_asked)", body = Problem)),
    security(("member_session" = [])))]
pub async fn new_challenge(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let asked = challenge(app, member)
        .await?
        .ok_or(ApiError::Reject(Reject::StepUpNotAsked))?;
    Ok(json(StatusCode::CREATED, &asked))
}

/// `POST /v1/step-up`: answers a challenge. A right answer gives a step-up token for this
/// session (the `Step-Up` header of the retried request) and lets the login's unusual
/// purchases through for as long; the `failures_max`-th wrong answer in a row ends the
/// session and locks step-up for `lock_ms`.
#[utoipa::path(post, path = "/v1/step-up", tag = "members",
    request_body = StepUpRequest,
    responses((status = 200, description = "Passed", body = StepUpAnswered),
        (status = 400, description = "The challenge is malformed, expired or another session's", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "Wrong answer (step_up_answer_wrong), or locked (step_up_locked)", body = Problem),
        (status = 503, description = "The password hasher is busy; see Retry-After", body = Problem)),
    security(("member_session" = [])))]
pub async fn answer(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: StepUpRequest = parse_json(&call.body)?;
    let answered = pass_challenge(app, member, &request.challenge_id, &request.answer).await?;
    Ok(json(StatusCode::OK, &answered))
}

/// Answers challenge `challenge_id` of the member's session with `answer`: the one path of
/// `POST /v1/step-up` and the account pages. A right answer gives a step-up token for this
/// session; the account counts every outcome.
///
/// # Errors
/// `InvalidField` for a challenge that is malformed, expired or another session's;
/// `StepUpAnswerWrong`; `StepUpLocked`; session rejects; the hasher's.
pub async fn pass_challenge(
    app: &App,
    member: MemberSession,
    challenge_id: &str,
    answer: &str,
) -> Result<StepUpAnswered, ApiError> {
    let now_ms = epoch_ms(app.now());
    let challenge = app
        .tokens
        .open::<StepUpChallengeClaims>(challenge_id.trim(), 0, now_ms)
        .ok()
        .filter(|claims| {
            (claims.account, claims.login, claims.session)
                == (member.account.0, member.login.0, member.session.0)
        })
        .ok_or_else(|| ApiError::InvalidField {
            param: "challenge_id",
            detail: "a challenge of this session that has not expired".to_owned(),
        })?;
    let index = usize::try_from(challenge.question).unwrap_or(usize::MAX);
    // The question as it is now: asked again at the challenge's place.
    let asked = app
        .registry
        .step_up_question(member.account, member.login, member.session, index)
        .await
        .map_err(member_error)?
        .filter(|(asked, _)| *asked == index)
        .ok_or(ApiError::Reject(Reject::StepUpNotAsked))?;
    let right = app
        .passwords
        .verify(normalize_answer(answer), Some(asked.1.answer_hash))
        .await?;
    let passed = app
        .registry
        .step_up_answer(
            member.account,
            member.login,
            member.session,
            index,
            right,
            app.config.step_up.policy(),
        )
        .await
        .map_err(member_error)?;
    if !passed {
        return Err(ApiError::StepUpAnswerWrong);
    }
    let expires_at = app.now().plus_ms(app.config.step_up.pass_ms);
    let claims = StepUpClaims {
        account: member.account.0,
        login: member.login.0,
        session: member.session.0,
        expires_at_ms: epoch_ms(expires_at),
    };
    Ok(StepUpAnswered {
        step_up_token: app.tokens.seal(&claims, 0, &mut rand::thread_rng()),
        expires_at: rfc3339(expires_at),
    })
}

/// `PUT /v1/members/me/security-questions`: replaces the holder's questions (2 to 5), each
/// answer hashed like a password. Behind step-up once questions are set, so a stolen session
/// cannot replace them and then answer its own.
#[utoipa::path(put, path = "/v1/members/me/security-questions", tag = "members",
    request_body = SecurityQuestionsRequest,
    responses((status = 200, description = "Replaced", body = Done),
        (status = 400, description = "Too few or too many questions (questions_count), or a text breaks its rule", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "A sub-member (holder_only), or step-up required", body = Problem),
        (status = 503, description = "The password hasher is busy; see Retry-After", body = Problem)),
    security(("member_session" = [])))]
pub async fn set_security_questions(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: SecurityQuestionsRequest = parse_json(&call.body)?;
    let pairs: Vec<(String, String)> = request
        .questions
        .into_iter()
        .map(|pair| (pair.question, pair.answer))
        .collect();
    set_questions(app, member, pairs, step_up_header(call.headers)).await?;
    Ok(json(StatusCode::OK, &Done { ok: true }))
}

/// Replaces the member's questions with `pairs` (question, answer), behind step-up with
/// `step_up` as the token: the one path of the API and the account pages.
///
/// # Errors
/// `QuestionsCount` or `TextInvalid`; `StepUpRequired`; session rejects; the hasher's.
pub async fn set_questions(
    app: &App,
    member: MemberSession,
    pairs: Vec<(String, String)>,
    step_up: Option<&str>,
) -> Result<(), ApiError> {
    check_questions(&pairs).map_err(ApiError::Reject)?;
    require_step_up_token(app, step_up, member).await?;
    let questions = hash_questions(app, pairs).await?;
    command(app, member, MemberCommand::SetSecurityQuestions(questions)).await
}

/// Hashes each answer (normalized) with the password hasher, in turn: a registration or a
/// change holds at most `QUESTIONS_MAX` hashes, one at a time.
///
/// # Errors
/// The hasher's (busy: 503).
pub async fn hash_questions(
    app: &App,
    pairs: Vec<(String, String)>,
) -> Result<Vec<SecurityQuestion>, ApiError> {
    let mut questions = Vec::with_capacity(pairs.len());
    for (question, answer) in pairs {
        let answer_hash = app.passwords.hash(normalize_answer(&answer)).await?;
        questions.push(SecurityQuestion {
            question: question.trim().to_owned(),
            answer_hash,
        });
    }
    Ok(questions)
}

/// `PUT /v1/members/me/password`: changes the caller's own password after checking the
/// current one (throttled like a sign-in to the login's e-mail) and stepping up; the login's
/// other sessions end.
#[utoipa::path(put, path = "/v1/members/me/password", tag = "members",
    request_body = ChangePasswordRequest,
    responses((status = 200, description = "Changed; other sessions of the login ended", body = Done),
        (status = 400, description = "The new password breaks its rule, or the current one is wrong (param current_password)", body = Problem),
        (status = 401, description = "No live session", body = Problem),
        (status = 403, description = "Step-up required", body = Problem),
        (status = 429, description = "Too many wrong current passwords; see Retry-After", body = Problem),
        (status = 503, description = "The password hasher is busy; see Retry-After", body = Problem)),
    security(("member_session" = [])))]
pub async fn change_password(app: &App, call: Call<'_>) -> Outcome {
    let member = call.member()?;
    let request: ChangePasswordRequest = parse_json(&call.body)?;
    check_password(&request.new_password)?;
    require_step_up(app, call.headers, member).await?;
    let view = app
        .registry
        .account_view(member.account, Some((member.login, member.session)))
        .await
        .map_err(member_error)?;
    let own = view
        .logins
        .iter()
        .map(|(login, _)| login)
        .find(|login| login.id == member.login)
        .ok_or(ApiError::Unauthenticated)?;
    let email = own.email.clone().unwrap_or_default();
    let attempt = app
        .throttles
        .begin_sign_in(&email, call.client, app.now())?;
    let verified = match app
        .passwords
        .verify(request.current_password, Some(own.password_hash.clone()))
        .await
    {
        Ok(verified) => verified,
        Err(error) => {
            attempt.undecided(app.now());
            return Err(error.into());
        }
    };
    if !verified {
        attempt.failed(app.now());
        return Err(ApiError::InvalidField {
            param: "current_password",
            detail: "not the current password".to_owned(),
        });
    }
    attempt.succeeded(app.now());
    let password_hash = app.passwords.hash(request.new_password).await?;
    member_command(app, member, MemberCommand::ChangePassword { password_hash }).await
}

fn epoch_ms(at: Timestamp) -> u64 {
    u64::try_from(at.0).unwrap_or(0)
}
