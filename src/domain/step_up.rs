//! Step-up security ([0144], [0154]-[0158]): the holder's security questions ("other
//! identifiers"), asked again before a sensitive change or an unusual purchase.
//!
//! The answers are hashed at the edge (argon2id, like passwords); the account keeps the
//! questions with their hashes, each login's failed answers, lock and last pass, and the two
//! figures the unusual-activity rule reads (the typical price per currency, the purchases of
//! the current minute). A few wrong answers in a row end the session and lock step-up for a
//! while. Only a login with questions is ever asked: the holder's, since the questions are the
//! holder's (a sub-member is bound by the limits the holder set instead).
//!
//! Pure: no I/O, no clock, no randomness (the edge picks which question to ask). Depends on
//! the account state, events, money and rejects.

use serde::{Deserialize, Serialize};

use super::account::AccountState;
use super::event::Event;
use super::ids::{LoginId, SessionId};
use super::logins::LoginRole;
use super::money::{Amount, Currency};
use super::reject::Reject;
use super::time::Timestamp;
use super::vec_map::VecMap;

/// Fewest questions a member sets: one can be guessed from what is public about a person.
pub const QUESTIONS_MIN: usize = 2;
/// Most questions a member sets (each answer costs a hash to set).
pub const QUESTIONS_MAX: usize = 5;
/// Longest question or answer, in characters.
pub const QUESTION_CHARS_MAX: usize = 200;
/// The typical price follows the last purchases with this weight: each new price moves it by
/// 1/16 of the difference, so one odd purchase does not make the next one look usual.
const TYPICAL_WEIGHT: u64 = 16;
/// The window of the purchases-per-minute rule.
const MINUTE_MS: u64 = 60_000;

/// A question with the argon2id hash of its normalized answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityQuestion {
    /// As the member wrote it, shown when they are asked.
    pub question: String,
    /// Argon2id PHC string of [`normalize_answer`] of the answer.
    pub answer_hash: String,
}

/// One login's step-up record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginStepUp {
    /// Wrong answers since the last right one or lock.
    pub failures: u32,
    /// Step-up is refused until then (the session that failed ended).
    pub locked_until: Option<Timestamp>,
    /// A right answer counts until then: an unusual purchase goes through meanwhile.
    pub passed_until: Option<Timestamp>,
}

/// The unusual-activity rule: either part off at zero, both off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnusualActivity {
    /// A purchase above this multiple of the member's typical price in its currency.
    pub price_multiple: u32,
    /// More purchases than this within a minute.
    pub purchases_per_minute: u32,
}

impl UnusualActivity {
    /// The rule switched off.
    pub const OFF: UnusualActivity = UnusualActivity {
        price_multiple: 0,
        purchases_per_minute: 0,
    };
}

/// How step-up answers are counted; set from config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepUpPolicy {
    /// Wrong answers in a row that end the session and lock step-up.
    pub failures_max: u32,
    /// How long the lock lasts.
    pub lock_ms: u64,
    /// How long a right answer lets unusual purchases through.
    pub pass_ms: u64,
}

/// What the account knows for step-up.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepUp {
    /// The holder's questions; none: the member is never asked.
    pub questions: Vec<SecurityQuestion>,
    /// Per login (only logins that were asked).
    pub logins: VecMap<LoginId, LoginStepUp>,
    /// An exponentially weighted mean of the prices paid, per currency.
    pub typical: VecMap<Currency, Amount>,
    /// The purchases of the current minute: when it began, how many.
    pub minute: Option<(Timestamp, u32)>,
}

/// Lower-cases an answer and collapses its white space, so "Rex", " rex " and "REX" are one
/// answer: a member remembers the word, not how they typed it.
#[must_use]
pub fn normalize_answer(answer: &str) -> String {
    answer
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Checks questions and answers as the member typed them: 2 to 5 of them, each question and
/// answer 1 to 200 characters without control characters, no question twice.
///
/// # Errors
/// `TextInvalid` for a question or answer breaking its rule; `QuestionsCount` for too few or
/// too many.
pub fn check_questions(pairs: &[(String, String)]) -> Result<(), Reject> {
    if !(QUESTIONS_MIN..=QUESTIONS_MAX).contains(&pairs.len()) {
        return Err(Reject::QuestionsCount);
    }
    let fits = |text: &str| {
        let trimmed = text.trim();
        !trimmed.is_empty()
            && trimmed.chars().count() <= QUESTION_CHARS_MAX
            && !trimmed.chars().any(char::is_control)
    };
    for (index, (question, answer)) in pairs.iter().enumerate() {
        if !fits(question) || !fits(answer) {
            return Err(Reject::TextInvalid);
        }
        let same =
            |(other, _): &(String, String)| normalize_answer(other) == normalize_answer(question);
        if pairs.iter().take(index).any(same) {
            return Err(Reject::TextInvalid);
        }
    }
    Ok(())
}

impl StepUp {
    /// Whether a purchase of `price` in `currency` now is unusual under `rule`, before it is
    /// counted. Without a typical price yet (a first purchase) nothing is unusual by price.
    #[must_use]
    pub fn unusual(
        &self,
        rule: UnusualActivity,
        currency: Currency,
        price: Amount,
        now: Timestamp,
    ) -> bool {
        let by_price = rule.price_multiple > 0
            && self.typical.get(&currency).is_some_and(|typical| {
                typical
                    .micros()
                    .checked_mul(u64::from(rule.price_multiple))
                    .is_some_and(|bound| price.micros() > bound)
            });
        let by_rate = rule.purchases_per_minute > 0
            && self.minute.is_some_and(|(began, count)| {
                now < began.plus_ms(MINUTE_MS) && count >= rule.purchases_per_minute
            });
        by_price || by_rate
    }

    /// Counts a purchase made at `at`.
    pub fn record_purchase(&mut self, currency: Currency, price: Amount, at: Timestamp) {
        let typical = match self.typical.get(&currency) {
            None => price,
            Some(typical) => {
                let (old, new) = (typical.micros(), price.micros());
                // old + (new - old) / 16, in integers, never past either bound.
                let step = new.abs_diff(old).checked_div(TYPICAL_WEIGHT).unwrap_or(0);
                let moved = if new >= old {
                    old.saturating_add(step)
                } else {
                    old.saturating_sub(step)
                };
                Amount::from_micros(moved)
            }
        };
        self.typical.insert(currency, typical);
        self.minute = match self.minute {
            Some((began, count)) if at < began.plus_ms(MINUTE_MS) => {
                Some((began, count.saturating_add(1)))
            }
            _ => Some((at, 1)),
        };
    }

    /// Whether `login` passed step-up recently enough at `now`.
    #[must_use]
    pub fn passed(&self, login: LoginId, now: Timestamp) -> bool {
        self.logins
            .get(&login)
            .and_then(|record| record.passed_until)
            .is_some_and(|until| now < until)
    }
}

impl AccountState {
    /// Whether `login` is asked to step up: it is the holder and the holder set questions.
    #[must_use]
    pub fn asks_step_up(&self, login: LoginId) -> bool {
        !self.step_up.questions.is_empty() && self.role_of(login) == Some(LoginRole::Holder)
    }

    /// The question to ask `login` in the live `session`: the `pick`-th (modulo their count;
    /// the edge draws it), or `None` when the login is never asked.
    ///
    /// # Errors
    /// Those of `live_session`; `StepUpLocked` while step-up is locked for the login.
    pub fn step_up_question(
        &self,
        login: LoginId,
        session: SessionId,
        pick: usize,
        now: Timestamp,
    ) -> Result<Option<(usize, &SecurityQuestion)>, Reject> {
        self.live_session(login, session, now)?;
        if !self.asks_step_up(login) {
            return Ok(None);
        }
        if let Some(until) = self.step_up.logins.get(&login).and_then(|r| r.locked_until)
            && now < until
        {
            return Err(Reject::StepUpLocked { until });
        }
        let count = self.step_up.questions.len();
        let index = pick.checked_rem(count).unwrap_or(0);
        Ok(self.step_up.questions.get(index).map(|q| (index, q)))
    }

    /// Decides the outcome of an answer to question `index`, checked against its hash at the
    /// edge (`right`). A right answer passes for `pass_ms` and clears the failures; the
    /// `failures_max`-th wrong one in a row locks step-up for `lock_ms` and ends the session.
    ///
    /// # Errors
    /// Those of [`AccountState::step_up_question`], and `StepUpNotAsked` for a login that is
    /// never asked or an index past the questions (they changed since the challenge).
    pub fn decide_step_up_answer(
        &self,
        login: LoginId,
        session: SessionId,
        index: usize,
        right: bool,
        now: Timestamp,
        policy: &StepUpPolicy,
    ) -> Result<Event, Reject> {
        self.step_up_question(login, session, index, now)?
            .filter(|(asked, _)| *asked == index)
            .ok_or(Reject::StepUpNotAsked)?;
        if right {
            return Ok(Event::StepUpPassed {
                account: self.id,
                login,
                until: now.plus_ms(policy.pass_ms),
                at: now,
            });
        }
        let failures = self
            .step_up
            .logins
            .get(&login)
            .map_or(0, |record| record.failures)
            .saturating_add(1);
        let locked_until = (failures >= policy.failures_max).then(|| now.plus_ms(policy.lock_ms));
        Ok(Event::StepUpFailed {
            account: self.id,
            login,
            session,
            locked_until,
            at: now,
        })
    }

    /// Decides new security questions, their answers already checked and hashed at the edge.
    ///
    /// # Errors
    /// `HolderOnly` when `by` is not the holder; `QuestionsCount` outside 2 to 5.
    pub fn decide_security_questions(
        &self,
        by: LoginId,
        questions: Vec<SecurityQuestion>,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.role_of(by) != Some(LoginRole::Holder) {
            return Err(Reject::HolderOnly);
        }
        if !(QUESTIONS_MIN..=QUESTIONS_MAX).contains(&questions.len()) {
            return Err(Reject::QuestionsCount);
        }
        Ok(Event::SecurityQuestionsSet {
            account: self.id,
            questions,
            at: now,
        })
    }

    /// Applies the step-up events.
    pub(super) fn apply_step_up(&mut self, event: &Event) {
        match event {
            Event::SecurityQuestionsSet { questions, .. } => {
                self.step_up.questions.clone_from(questions);
            }
            Event::StepUpPassed { login, until, .. } => {
                self.step_up.logins.insert(
                    *login,
                    LoginStepUp {
                        failures: 0,
                        locked_until: None,
                        passed_until: Some(*until),
                    },
                );
            }
            Event::StepUpFailed {
                login,
                session,
                locked_until,
                ..
            } => {
                let record = self
                    .step_up
                    .logins
                    .get_or_insert_with(*login, LoginStepUp::default);
                match locked_until {
                    Some(until) => {
                        *record = LoginStepUp {
                            failures: 0,
                            locked_until: Some(*until),
                            passed_until: None,
                        };
                        if let Some(ended) = self.sessions.get_mut(session) {
                            ended.ended = true;
                        }
                    }
                    None => record.failures = record.failures.saturating_add(1),
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{AccountPolicy, Login, SessionExpiry};
    use crate::domain::ids::AccountId;
    use crate::domain::time::MemberZone;

    const HOLDER: LoginId = LoginId(1);
    const SESSION: SessionId = SessionId(10);
    const POLICY: StepUpPolicy = StepUpPolicy {
        failures_max: 3,
        lock_ms: 1_000,
        pass_ms: 500,
    };

    fn usd() -> Currency {
        Currency::parse("USD").expect("usd")
    }

    fn question(text: &str) -> SecurityQuestion {
        SecurityQuestion {
            question: text.to_owned(),
            answer_hash: format!("hash of {text}"),
        }
    }

    fn account(with_questions: bool) -> AccountState {
        let zone = MemberZone::new("UTC").expect("zone");
        let mut state = AccountState::opened(AccountId(7), zone, "en".to_owned());
        state.apply_login_added(&Login::holder(HOLDER, None, String::new()));
        let policy = AccountPolicy {
            sessions_per_login_max: 4,
            idempotency_retention_ms: 1,
            unusual: UnusualActivity::OFF,
        };
        let started = state
            .decide_start_session(
                HOLDER,
                SESSION,
                SessionExpiry::Idle { idle_ms: 60_000 },
                Timestamp(0),
                &policy,
            )
            .expect("session");
        state.apply(&started);
        if with_questions {
            let set = state
                .decide_security_questions(
                    HOLDER,
                    vec![question("pet"), question("street")],
                    Timestamp(1),
                )
                .expect("set");
            state.apply(&set);
        }
        state
    }

    #[test]
    fn answers_are_compared_as_words_and_questions_are_checked() {
        assert_eq!(normalize_answer("  Rex   the\tDog "), "rex the dog");
        let pair = |q: &str, a: &str| (q.to_owned(), a.to_owned());
        assert_eq!(
            check_questions(&[pair("pet", "rex")]),
            Err(Reject::QuestionsCount)
        );
        assert_eq!(
            check_questions(&[pair("pet", "rex"), pair(" PET ", "tom")]),
            Err(Reject::TextInvalid)
        );
        assert_eq!(
            check_questions(&[pair("pet", "rex"), pair("street", " ")]),
            Err(Reject::TextInvalid)
        );
        assert_eq!(
            check_questions(&[pair("pet", "rex"), pair("street", &"x".repeat(201))]),
            Err(Reject::TextInvalid)
        );
        assert_eq!(
            check_questions(&[pair("pet", "rex"), pair("street", "elm")]),
            Ok(())
        );
        let six: Vec<_> = (0..6).map(|i| pair(&format!("q{i}"), "a")).collect();
        assert_eq!(check_questions(&six), Err(Reject::QuestionsCount));
    }

    #[test]
    fn a_member_without_questions_is_never_asked() {
        let state = account(false);
        assert_eq!(
            state.step_up_question(HOLDER, SESSION, 0, Timestamp(2)),
            Ok(None)
        );
        assert_eq!(
            state.decide_step_up_answer(HOLDER, SESSION, 0, true, Timestamp(2), &POLICY),
            Err(Reject::StepUpNotAsked)
        );
    }

    #[test]
    fn the_third_wrong_answer_locks_and_ends_the_session_and_a_right_one_passes_for_a_while() {
        let mut state = account(true);
        let asked = state
            .step_up_question(HOLDER, SESSION, 3, Timestamp(2))
            .expect("asked");
        assert_eq!(
            asked.map(|(index, q)| (index, q.question.as_str())),
            Some((1, "street"))
        );
        for at in [3, 4] {
            let failed = state
                .decide_step_up_answer(HOLDER, SESSION, 1, false, Timestamp(at), &POLICY)
                .expect("counted");
            state.apply(&failed);
        }
        let right = state
            .decide_step_up_answer(HOLDER, SESSION, 1, true, Timestamp(5), &POLICY)
            .expect("passed");
        state.apply(&right);
        assert!(state.step_up.passed(HOLDER, Timestamp(504)));
        assert!(!state.step_up.passed(HOLDER, Timestamp(505)));
        // The right answer cleared the two failures: three more are needed to lock.
        for at in [6, 7] {
            let failed = state
                .decide_step_up_answer(HOLDER, SESSION, 0, false, Timestamp(at), &POLICY)
                .expect("counted");
            state.apply(&failed);
        }
        assert!(state.live_session(HOLDER, SESSION, Timestamp(8)).is_ok());
        let locking = state
            .decide_step_up_answer(HOLDER, SESSION, 0, false, Timestamp(8), &POLICY)
            .expect("locks");
        state.apply(&locking);
        assert_eq!(
            state.live_session(HOLDER, SESSION, Timestamp(9)).err(),
            Some(Reject::SessionEnded)
        );
        let policy = AccountPolicy {
            sessions_per_login_max: 4,
            idempotency_retention_ms: 1,
            unusual: UnusualActivity::OFF,
        };
        let again = state
            .decide_start_session(
                HOLDER,
                SessionId(11),
                SessionExpiry::Idle { idle_ms: 60_000 },
                Timestamp(9),
                &policy,
            )
            .expect("signs in");
        state.apply(&again);
        assert_eq!(
            state.step_up_question(HOLDER, SessionId(11), 0, Timestamp(1_007)),
            Err(Reject::StepUpLocked {
                until: Timestamp(1_008)
            })
        );
        assert!(
            state
                .step_up_question(HOLDER, SessionId(11), 0, Timestamp(1_008))
                .is_ok()
        );
    }

    #[test]
    fn a_price_far_above_the_typical_one_or_a_burst_of_purchases_is_unusual() {
        let mut step_up = StepUp::default();
        let rule = UnusualActivity {
            price_multiple: 10,
            purchases_per_minute: 3,
        };
        let cents = |c: u64| Amount::from_micros(c * 10_000);
        // A first purchase has no typical price to compare with.
        assert!(!step_up.unusual(rule, usd(), cents(10_000), Timestamp(0)));
        step_up.record_purchase(usd(), cents(10), Timestamp(0));
        assert!(!step_up.unusual(rule, usd(), cents(100), Timestamp(1)));
        assert!(step_up.unusual(rule, usd(), cents(101), Timestamp(1)));
        assert!(!step_up.unusual(UnusualActivity::OFF, usd(), cents(10_000), Timestamp(1)));
        step_up.record_purchase(usd(), cents(10), Timestamp(1));
        step_up.record_purchase(usd(), cents(10), Timestamp(2));
        assert!(step_up.unusual(rule, usd(), cents(10), Timestamp(59_999)));
        assert!(!step_up.unusual(rule, usd(), cents(10), Timestamp(60_000)));
        // The typical price moves a sixteenth of the way towards each new price.
        step_up.record_purchase(usd(), cents(170), Timestamp(60_000));
        assert_eq!(step_up.typical.get(&usd()), Some(&cents(20)));
    }
}
