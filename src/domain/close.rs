//! Closing a member account (issue 14): the holder closes it after cashing out, or forfeits
//! what is left; every session ends, the personal data is erased, and the amounts stay.
//!
//! What a close keeps and what it erases:
//! - **Kept**: every amount (wallets, entitlements, the journal's money events), so the
//!   totals and `farthing check` still hold. Language, time zone, limits and the referral
//!   stay too: they identify nobody and the replay needs the time zone for its calendar.
//! - **Erased**: every login's e-mail, name, language and password hash (the login stays, by
//!   id, disabled: purchases and statement lines name it), the security questions and the
//!   step-up records, the saved payment methods and the top-off settings naming them, and
//!   the references operators gave deposits (free text that may name the member). The
//!   journal's events that carried them are rewritten with the same fields emptied
//!   ([`erased`]), so a replay rebuilds the same closed state.
//!
//! Money on a close:
//! - Paid balance above zero is the member's money: closing with it is refused
//!   (`BalanceRemaining`) unless the member forfeits it; a forfeit moves it to the service
//!   (`AccountClosed::forfeited`, the totals' `forfeited` term of the MSP's equity), as a
//!   cash-out charge does. Rejected: a bucket shared with cash-out charges, which would hide
//!   why the service kept the money.
//! - Incentive grants are not the member's money (a promise, DESIGN §2): they end with the
//!   account without asking, recorded as `IncentiveExpired` in the same group, so the totals
//!   stop owing them.
//! - Debt (a returned bank debit spent, or a balance drawn on the credit line) is the
//!   member's to pay, never theirs to forfeit: closing waits until it is repaid.
//! - Money in motion (a deposit waiting for the processor, a bank debit not settled, a
//!   dispute waiting for an operator) may still change the balance: closing waits for it,
//!   forfeit or not, so nothing lands on an account that nobody can use.
//!
//! Pure: no I/O, no clock. Depends on the account state, events and rejects.

use super::account::{AccountState, Login};
use super::dispute::DisputeStatus;
use super::event::Event;
use super::ids::LoginId;
use super::logins::LoginRole;
use super::money::{Amount, Balance, Currency};
use super::payment_method::SavedMethod;
use super::reject::Reject;
use super::step_up::StepUp;
use super::time::Timestamp;

/// The holder's request to close the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseAccount {
    /// The login asking (only the holder may).
    pub by: LoginId,
    /// Forfeit the paid balance left instead of being refused for it.
    pub forfeit: bool,
}

impl AccountState {
    /// Whether the account was closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    /// Decides closing the account: the `IncentiveExpired` of every grant held, then
    /// `AccountClosed` with the paid balance forfeited, to journal as one group. Checks, in
    /// order of precedence (what forfeiting cannot fix first, so the answer to a retry with
    /// `forfeit` is the same):
    /// 1. `by` is the holder: `HolderOnly`;
    /// 2. not closed already: `AccountClosed`;
    /// 3. not frozen (the holder unfreezes first, behind step-up, as for a cash-out): `Frozen`;
    /// 4. no debt and no balance drawn on the credit line in any wallet: `CloseDebtOpen`;
    /// 5. no deposit waiting for the processor, no bank debit unsettled, no dispute pending:
    ///    `CloseMoneyInMotion`;
    /// 6. no paid balance above zero, unless `forfeit`: `BalanceRemaining`.
    ///
    /// # Errors
    /// The `Reject` of the first failing check.
    pub fn decide_close(
        &self,
        command: CloseAccount,
        now: Timestamp,
    ) -> Result<Vec<Event>, Reject> {
        if self.role_of(command.by) != Some(LoginRole::Holder) {
            return Err(Reject::HolderOnly);
        }
        if self.is_closed() {
            return Err(Reject::AccountClosed);
        }
        if self.frozen {
            return Err(Reject::Frozen);
        }
        let owes = self
            .wallets
            .values()
            .any(|wallet| !wallet.debt.is_zero() || wallet.balance < Balance::ZERO);
        if owes {
            return Err(Reject::CloseDebtOpen);
        }
        let disputed = self
            .disputes
            .values()
            .any(|dispute| dispute.status == DisputeStatus::Pending);
        if !self.pending_deposits.is_empty() || !self.unsettled_deposits.is_empty() || disputed {
            return Err(Reject::CloseMoneyInMotion);
        }
        let forfeited: Vec<(Currency, Amount)> = self
            .wallets
            .iter()
            .map(|(currency, wallet)| (*currency, wallet.balance.headroom_above(Balance::ZERO)))
            .filter(|(_, amount)| !amount.is_zero())
            .collect();
        if !forfeited.is_empty() && !command.forfeit {
            return Err(Reject::BalanceRemaining);
        }
        let mut events: Vec<Event> = self
            .grants
            .values()
            .map(|grant| Event::IncentiveExpired {
                account: self.id,
                grant: grant.id,
                currency: grant.currency,
                amount: grant.remaining,
                funder: grant.funder,
                at: now,
            })
            .collect();
        events.push(Event::AccountClosed {
            account: self.id,
            login: command.by,
            forfeited,
            at: now,
        });
        Ok(events)
    }

    /// Applies a close: the forfeited balance leaves, every session ends, the personal data
    /// goes (see the module's list), and the account is closed from `at`.
    pub(super) fn apply_closed(&mut self, forfeited: &[(Currency, Amount)], at: Timestamp) {
        assert!(!self.is_closed(), "an account was closed twice");
        for (currency, amount) in forfeited {
            let wallet = self.wallets.get_mut(currency);
            let wallet = wallet.unwrap_or_else(|| panic!("a forfeit from no wallet"));
            let left = wallet.balance.checked_sub_amount(*amount);
            wallet.balance = left.unwrap_or_else(|| panic!("a forfeit overflowed"));
            assert!(
                wallet.balance == Balance::ZERO,
                "a forfeit left a balance behind"
            );
        }
        for wallet in self.wallets.values_mut() {
            wallet.top_off = None;
        }
        for session in self.sessions.values_mut() {
            session.ended = true;
        }
        for login in self.logins.values_mut() {
            erase_login(login);
        }
        self.payment_methods.clear();
        // Operators' deposit references are free text (a member's e-mail, a bank line): the
        // journal's copies are erased, so these go too; a closed account takes no deposit
        // they could deduplicate.
        self.deposit_references = super::vec_map::VecSet::new();
        self.step_up = StepUp::default();
        self.closed_at = Some(at);
    }
}

/// A login as a close leaves it: known by id only, unable to sign in.
fn erase_login(login: &mut Login) {
    login.email = None;
    login.password_hash.clear();
    login.name = None;
    login.language = None;
    login.disabled = true;
}

/// A login as the journal keeps it after its account closed: what [`erase_login`] leaves,
/// except the disabled flag, which the close itself sets (so a replay passes through the
/// same states).
fn redacted_login(login: &Login) -> Login {
    Login {
        email: None,
        password_hash: String::new(),
        name: None,
        language: None,
        ..login.clone()
    }
}

/// A saved method as the journal keeps it after its account closed: the id and rail (which
/// deposits and statement lines name), no brand, digits or processor token.
fn redacted_method(method: &SavedMethod) -> SavedMethod {
    SavedMethod {
        brand: "".into(),
        last4: "".into(),
        token: "".into(),
        ..method.clone()
    }
}

/// The event as the journal keeps it once its account is closed: the same event with the
/// personal data it carries emptied (e-mails, names, password hashes, security questions and
/// answers, payment details, operators' deposit references), or `None` when it carries none and stays as it is. Replaying
/// the rewritten events through `apply` up to and including the `AccountClosed` rebuilds the
/// same closed state, since the close erases the same fields in memory.
///
/// Kept on purpose: amounts, ids and times (the totals), titles and content URLs of
/// purchases (the statement, as the issue asks), transfer notes and dispute reasons (the
/// other party's records hold them too: a vendor's ledger, the recipient's statement).
#[must_use]
pub fn erased(event: &Event) -> Option<Event> {
    match event {
        Event::AccountOpened {
            account,
            login,
            language,
            time_zone,
            currency,
            at,
        } => Some(Event::AccountOpened {
            account: *account,
            login: redacted_login(login),
            language: language.clone(),
            time_zone: time_zone.clone(),
            currency: *currency,
            at: *at,
        }),
        Event::Deposited {
            account,
            currency,
            amount,
            by,
            at,
            ..
        } => Some(Event::Deposited {
            account: *account,
            currency: *currency,
            amount: *amount,
            reference: String::new(),
            by: *by,
            at: *at,
        }),
        Event::LoginAdded { account, login, at } => Some(Event::LoginAdded {
            account: *account,
            login: redacted_login(login),
            at: *at,
        }),
        Event::PasswordChanged {
            account,
            login,
            kept_session,
            at,
            ..
        } => Some(Event::PasswordChanged {
            account: *account,
            login: *login,
            password_hash: String::new(),
            kept_session: *kept_session,
            at: *at,
        }),
        Event::LoginProfileSet {
            account, login, at, ..
        } => Some(Event::LoginProfileSet {
            account: *account,
            login: *login,
            name: None,
            language: None,
            at: *at,
        }),
        Event::SecurityQuestionsSet { account, at, .. } => Some(Event::SecurityQuestionsSet {
            account: *account,
            questions: Vec::new(),
            at: *at,
        }),
        Event::PaymentMethodAdded {
            account,
            method,
            at,
        } => Some(Event::PaymentMethodAdded {
            account: *account,
            method: redacted_method(method),
            at: *at,
        }),
        Event::DepositStarted {
            account,
            deposit,
            currency,
            amount,
            method,
            via,
            at,
        } => Some(Event::DepositStarted {
            account: *account,
            deposit: *deposit,
            currency: *currency,
            amount: *amount,
            method: redacted_method(method),
            via: *via,
            at: *at,
        }),
        Event::CashedOut {
            account,
            cash_out,
            currency,
            amount,
            charge,
            destination,
            at,
        } => Some(Event::CashedOut {
            account: *account,
            cash_out: *cash_out,
            currency: *currency,
            amount: *amount,
            charge: *charge,
            destination: redacted_method(destination),
            at: *at,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{AccountPolicy, SessionExpiry};
    use crate::domain::event::Origin;
    use crate::domain::ids::{AccountId, DepositId, PaymentMethodId, SessionId};
    use crate::domain::logins::{AddLogin, ProfileChange};
    use crate::domain::payment_method::Rail;
    use crate::domain::step_up::{SecurityQuestion, UnusualActivity};

    const HOLDER: LoginId = LoginId(1);
    const KID: LoginId = LoginId(2);

    fn usd() -> Currency {
        Currency::parse("USD").expect("usd")
    }

    fn policy() -> AccountPolicy {
        AccountPolicy {
            sessions_per_login_max: 4,
            idempotency_retention_ms: 1,
            unusual: UnusualActivity::OFF,
        }
    }

    /// An account with a holder, a sub-member, questions, a card and a session each.
    fn account() -> AccountState {
        let opened = Event::AccountOpened {
            account: AccountId(7),
            login: Login::holder(HOLDER, Some("h@x.org".to_owned()), "hash".to_owned()),
            language: "en".to_owned(),
            time_zone: "UTC".to_owned(),
            currency: usd(),
            at: Timestamp(1),
        };
        let mut state = AccountState::from_opened(&opened).expect("opened");
        let kid = AddLogin {
            id: KID,
            name: "Kid".to_owned(),
            email: "kid@x.org".to_owned(),
            password_hash: "kidhash".to_owned(),
        };
        let added = state.decide_add_login(HOLDER, kid, Timestamp(2));
        state.apply(&added.expect("added"));
        state.apply(&Event::SecurityQuestionsSet {
            account: state.id,
            questions: vec![SecurityQuestion {
                question: "Pet?".to_owned(),
                answer_hash: "answerhash".to_owned(),
            }],
            at: Timestamp(3),
        });
        let card = SavedMethod {
            id: PaymentMethodId(9),
            rail: Rail::Card,
            brand: "visa".into(),
            last4: "4242".into(),
            token: "tok".into(),
            added_at: Timestamp(3),
        };
        let saved = state.decide_add_payment_method(card, Timestamp(3));
        state.apply(&saved.expect("saved"));
        for (login, session) in [(HOLDER, 10), (KID, 20)] {
            let expiry = SessionExpiry::Idle { idle_ms: 1_000_000 };
            let started = state.decide_start_session(
                login,
                SessionId(session),
                expiry,
                Timestamp(4),
                &policy(),
            );
            state.apply(&started.expect("started"));
        }
        state
    }

    fn deposit(state: &mut AccountState, micros: u64) {
        let events = state.decide_credit(
            usd(),
            Amount::from_micros(micros),
            &format!("r{micros}"),
            Timestamp(5),
            Origin::Admin,
        );
        for event in events.expect("credited") {
            state.apply(&event);
        }
    }

    fn close(state: &AccountState, by: LoginId, forfeit: bool) -> Result<Vec<Event>, Reject> {
        state.decide_close(CloseAccount { by, forfeit }, Timestamp(6))
    }

    #[test]
    fn checks_come_in_their_documented_order() {
        let mut state = account();
        deposit(&mut state, 5_000_000);
        // A sub-member is refused before anything else, even with everything else wrong.
        state.frozen = true;
        state.wallets.get_mut(&usd()).expect("wallet").debt = Amount::from_micros(1);
        assert_eq!(close(&state, KID, true), Err(Reject::HolderOnly));
        // Frozen before debt.
        assert_eq!(close(&state, HOLDER, true), Err(Reject::Frozen));
        state.frozen = false;
        // Debt before money in motion; forfeiting does not help.
        state.unsettled_deposits.insert(
            DepositId(3),
            crate::domain::account::PendingDeposit {
                currency: usd(),
                amount: Amount::ZERO,
                method: state.payment_methods.values().next().expect("card").clone(),
                started_at: Timestamp(5),
                via: None,
            },
        );
        assert_eq!(close(&state, HOLDER, true), Err(Reject::CloseDebtOpen));
        state.wallets.get_mut(&usd()).expect("wallet").debt = Amount::ZERO;
        // Money in motion before the balance; forfeiting does not help.
        assert_eq!(close(&state, HOLDER, true), Err(Reject::CloseMoneyInMotion));
        state.unsettled_deposits.clear();
        // One step away: the balance refuses without forfeit, and forfeit closes.
        assert_eq!(close(&state, HOLDER, false), Err(Reject::BalanceRemaining));
        let events = close(&state, HOLDER, true).expect("closes");
        assert_eq!(
            events.last(),
            Some(&Event::AccountClosed {
                account: state.id,
                login: HOLDER,
                forfeited: vec![(usd(), Amount::from_micros(5_000_000))],
                at: Timestamp(6),
            })
        );
        for event in &events {
            state.apply(event);
        }
        assert_eq!(close(&state, HOLDER, true), Err(Reject::AccountClosed));
    }

    #[test]
    fn a_balance_on_credit_is_a_debt_and_an_empty_account_closes_without_forfeit() {
        let mut state = account();
        let line =
            state.decide_credit_line(usd(), Amount::from_micros(10), Timestamp(5), Origin::Admin);
        state.apply(&line.expect("line"));
        state.wallets.get_mut(&usd()).expect("wallet").balance = Balance::from_micros(-1);
        assert_eq!(close(&state, HOLDER, true), Err(Reject::CloseDebtOpen));
        state.wallets.get_mut(&usd()).expect("wallet").balance = Balance::ZERO;
        let events = close(&state, HOLDER, false).expect("an empty account closes");
        assert!(matches!(
            events.as_slice(),
            [Event::AccountClosed { forfeited, .. }] if forfeited.is_empty()
        ));
    }

    #[test]
    fn closing_erases_personal_data_ends_sessions_and_refuses_purchases() {
        let mut state = account();
        for event in close(&state, HOLDER, false).expect("closes") {
            state.apply(&event);
        }
        assert!(state.is_closed());
        for login in state.logins.values() {
            assert_eq!(login.email, None);
            assert_eq!(login.name, None);
            assert!(login.password_hash.is_empty());
            assert!(login.disabled);
        }
        assert!(state.login_by_email("h@x.org").is_none());
        assert!(state.payment_methods.is_empty());
        assert!(state.step_up.questions.is_empty());
        for (login, session) in [(HOLDER, 10), (KID, 20)] {
            assert_eq!(
                state
                    .live_session(login, SessionId(session), Timestamp(7))
                    .err(),
                Some(Reject::SessionEnded)
            );
        }
        let expiry = SessionExpiry::Idle { idle_ms: 1 };
        assert_eq!(
            state
                .decide_start_session(HOLDER, SessionId(11), expiry, Timestamp(7), &policy())
                .err(),
            Some(Reject::AccountClosed)
        );
        assert_eq!(state.check_can_receive(), Err(Reject::RecipientUnavailable));
        assert_eq!(
            state
                .decide_credit(
                    usd(),
                    Amount::from_micros(1),
                    "late",
                    Timestamp(7),
                    Origin::Admin
                )
                .err(),
            Some(Reject::AccountClosed)
        );
    }

    #[test]
    fn the_erased_journal_replays_to_the_same_closed_state() {
        let opened = Event::AccountOpened {
            account: AccountId(7),
            login: Login::holder(HOLDER, Some("h@x.org".to_owned()), "hash".to_owned()),
            language: "en".to_owned(),
            time_zone: "UTC".to_owned(),
            currency: usd(),
            at: Timestamp(1),
        };
        let mut state = AccountState::from_opened(&opened).expect("opened");
        let mut journal = vec![opened];
        let mut record = |state: &mut AccountState, event: Event| {
            state.apply(&event);
            journal.push(event);
        };
        let kid = AddLogin {
            id: KID,
            name: "Kid".to_owned(),
            email: "kid@x.org".to_owned(),
            password_hash: "kidhash".to_owned(),
        };
        let added = state
            .decide_add_login(HOLDER, kid, Timestamp(2))
            .expect("added");
        record(&mut state, added);
        let questions = Event::SecurityQuestionsSet {
            account: state.id,
            questions: vec![SecurityQuestion {
                question: "Pet?".to_owned(),
                answer_hash: "answerhash".to_owned(),
            }],
            at: Timestamp(3),
        };
        record(&mut state, questions);
        let changed =
            state.decide_password_change(KID, SessionId(1), "new".to_owned(), Timestamp(4));
        record(&mut state, changed);
        let renamed = state
            .decide_profile(
                KID,
                ProfileChange {
                    name: Some("Kid Renamed".to_owned()),
                    language: Some("ja".to_owned()),
                },
                Timestamp(5),
            )
            .expect("renamed");
        record(&mut state, renamed);
        for event in close(&state, HOLDER, false).expect("closes") {
            record(&mut state, event);
        }
        let erased_journal: Vec<Event> = journal
            .iter()
            .map(|event| erased(event).unwrap_or_else(|| event.clone()))
            .collect();
        let text = format!("{erased_journal:?}");
        let personal = [
            "h@x.org",
            "kid@x.org",
            "\"Kid\"",
            "\"hash\"",
            "\"kidhash\"",
            "\"new\"",
            "Pet?",
            "\"answerhash\"",
            "Kid Renamed",
        ];
        for personal in personal {
            assert!(
                !text.contains(personal),
                "{personal} is still in the journal"
            );
        }
        let first = erased_journal.first().expect("opened");
        let mut replayed = AccountState::from_opened(first).expect("opened");
        for event in erased_journal.iter().skip(1) {
            replayed.apply(event);
        }
        assert_eq!(replayed, state);
    }
}
