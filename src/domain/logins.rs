//! Family and corporate accounts ([0275]-[0277]): the holder's sub-members.
//!
//! An account's first login is its holder; the holder adds sub-members, each with their own
//! e-mail, password, name, language and limits. Wallets stay the account's. The limits of a
//! sub-member are set by the holder only: parental control ([0156], [0277]) only works if
//! the child cannot lift it. A disabled sub-member cannot sign in, and disabling one ends
//! its sessions at once.
//!
//! Pure: no I/O, no clock. Depends on the account state, events and rejects.

use serde::{Deserialize, Serialize};

use super::account::{AccountState, Login, Session, check_language};
use super::event::Event;
use super::ids::{LoginId, SessionId};
use super::reject::Reject;
use super::time::Timestamp;

/// Logins one account may hold, the holder included: a family or a small team, and a bound
/// on what one holder can make the server keep.
pub const LOGINS_MAX: usize = 16;

/// Longest login name, in characters.
pub const LOGIN_NAME_CHARS_MAX: usize = 100;

/// What a login may do in its account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginRole {
    /// The login created with the account: everything, for every login.
    Holder,
    /// A sub-member: buys within the limits the holder set, sees only their own.
    Member,
}

impl LoginRole {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            LoginRole::Holder => "holder",
            LoginRole::Member => "member",
        }
    }
}

/// A sub-member to add, the password already hashed and the e-mail claimed at the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddLogin {
    /// Its id (drawn at the edge).
    pub id: LoginId,
    /// Shown to the holder and on statements.
    pub name: String,
    /// Lower-cased sign-in e-mail, unique across the service.
    pub email: String,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// A login's change of its own profile ([0114], [0136]): `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileChange {
    /// The new name (trimmed here; 1 to [`LOGIN_NAME_CHARS_MAX`] characters).
    pub name: Option<String>,
    /// The new language tag (as [`check_language`]).
    pub language: Option<String>,
}

impl AccountState {
    /// The language of `login`'s pages and mail: its own when it set one, else the account's
    /// (the registration's). An unknown login reads the account's.
    #[must_use]
    pub fn language_of(&self, login: LoginId) -> &str {
        self.logins
            .get(&login)
            .and_then(|login| login.language.as_deref())
            .unwrap_or(self.language.as_ref())
    }

    /// Decides `login` changing its own name and language; anyone may, holder or sub-member,
    /// and only their own (the command carries no target). Checks, in order: the login is the
    /// account's, the name (1 to 100 characters trimmed, no control characters), the language
    /// tag. The event carries both fields as they end up, so replay assigns them.
    ///
    /// # Errors
    /// `LoginNotFound`; `TextInvalid` for a name or a language tag breaking its rule (the
    /// edge refuses both first, naming the field).
    pub fn decide_profile(
        &self,
        login: LoginId,
        change: ProfileChange,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        let Some(current) = self.logins.get(&login) else {
            return Err(Reject::LoginNotFound);
        };
        let name = match change.name {
            Some(name) => {
                let name = name.trim();
                if name.is_empty()
                    || name.chars().count() > LOGIN_NAME_CHARS_MAX
                    || name.chars().any(char::is_control)
                {
                    return Err(Reject::TextInvalid);
                }
                Some(name.to_owned())
            }
            None => current.name.clone(),
        };
        let language = match change.language {
            Some(language) => {
                if check_language(&language).is_err() {
                    return Err(Reject::TextInvalid);
                }
                Some(language.trim().to_owned())
            }
            None => current.language.clone(),
        };
        Ok(Event::LoginProfileSet {
            account: self.id,
            login,
            name,
            language,
            at: now,
        })
    }

    /// Applies a login's profile: both fields as the event carries them.
    pub(super) fn apply_login_profile(
        &mut self,
        login: LoginId,
        name: Option<&String>,
        language: Option<&String>,
    ) {
        if let Some(changed) = self.logins.get_mut(&login) {
            changed.name = name.cloned();
            changed.language = language.cloned();
        }
    }

    /// The login's role; `None` for a login the account does not have.
    #[must_use]
    pub fn role_of(&self, login: LoginId) -> Option<LoginRole> {
        self.logins.get(&login).map(|login| login.role)
    }

    /// The holder's login: the one the account was opened with.
    #[must_use]
    pub fn holder(&self) -> Option<LoginId> {
        self.logins
            .values()
            .find(|login| login.role == LoginRole::Holder)
            .map(|login| login.id)
    }

    /// The live session of a holder: [`AccountState::live_session`], then the holder check.
    ///
    /// # Errors
    /// Those of `live_session`; `HolderOnly` for a sub-member's session.
    pub fn holder_session(
        &self,
        login: LoginId,
        session: SessionId,
        now: Timestamp,
    ) -> Result<&Session, Reject> {
        let found = self.live_session(login, session, now)?;
        if self.role_of(login) != Some(LoginRole::Holder) {
            return Err(Reject::HolderOnly);
        }
        Ok(found)
    }

    /// Decides adding a sub-member, asked by `by`. Checks, in order: `by` is the holder, the
    /// name (1 to 100 characters, trimmed), room for one more login (`LOGINS_MAX`), the id
    /// unused.
    ///
    /// # Errors
    /// `HolderOnly`; `TextInvalid`; `LoginsFull`; `LoginTaken` when the id drawn at the
    /// edge is already a login's.
    pub fn decide_add_login(
        &self,
        by: LoginId,
        command: AddLogin,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.role_of(by) != Some(LoginRole::Holder) {
            return Err(Reject::HolderOnly);
        }
        let name = command.name.trim();
        if name.is_empty() || name.chars().count() > LOGIN_NAME_CHARS_MAX {
            return Err(Reject::TextInvalid);
        }
        if self.logins.len() >= LOGINS_MAX {
            return Err(Reject::LoginsFull);
        }
        if self.logins.contains_key(&command.id) {
            return Err(Reject::LoginTaken);
        }
        Ok(Event::LoginAdded {
            account: self.id,
            login: Login {
                id: command.id,
                email: Some(command.email),
                password_hash: command.password_hash,
                name: Some(name.to_owned()),
                role: LoginRole::Member,
                disabled: false,
                language: None,
            },
            at: now,
        })
    }

    /// Decides disabling or re-enabling sub-member `target`, asked by `by`. Setting the flag it
    /// already has is still an event (the holder's intent is recorded); disabling ends the
    /// target's sessions.
    ///
    /// # Errors
    /// `HolderOnly` when `by` is not the holder; `LoginNotFound` for a login the account does
    /// not have; `LoginIsHolder` for the holder itself (an account cannot lock its holder out).
    pub fn decide_login_disabled(
        &self,
        by: LoginId,
        target: LoginId,
        disabled: bool,
        now: Timestamp,
    ) -> Result<Event, Reject> {
        if self.role_of(by) != Some(LoginRole::Holder) {
            return Err(Reject::HolderOnly);
        }
        match self.role_of(target) {
            None => Err(Reject::LoginNotFound),
            Some(LoginRole::Holder) => Err(Reject::LoginIsHolder),
            Some(LoginRole::Member) => Ok(Event::LoginDisabledSet {
                account: self.id,
                login: target,
                disabled,
                at: now,
            }),
        }
    }

    /// Decides a login changing its own password (the current one checked and the new one
    /// hashed at the edge): the login's other sessions end, so whoever knew the old password
    /// is signed out everywhere but here.
    #[must_use]
    pub fn decide_password_change(
        &self,
        login: LoginId,
        keep: SessionId,
        password_hash: String,
        now: Timestamp,
    ) -> Event {
        Event::PasswordChanged {
            account: self.id,
            login,
            password_hash,
            kept_session: keep,
            at: now,
        }
    }

    /// Applies a password change.
    pub(super) fn apply_password_changed(
        &mut self,
        login: LoginId,
        password_hash: &str,
        kept_session: SessionId,
    ) {
        if let Some(changed) = self.logins.get_mut(&login) {
            password_hash.clone_into(&mut changed.password_hash);
        }
        for session in self.sessions.values_mut() {
            if session.login == login && session.id != kept_session {
                session.ended = true;
            }
        }
    }

    /// Applies a login added.
    pub(super) fn apply_login_added(&mut self, login: &Login) {
        self.logins.insert(login.id, login.clone());
    }

    /// Applies a login disabled or enabled: disabling ends its sessions at once.
    pub(super) fn apply_login_disabled(&mut self, target: LoginId, disabled: bool) {
        if let Some(login) = self.logins.get_mut(&target) {
            login.disabled = disabled;
        }
        if disabled {
            for session in self.sessions.values_mut() {
                if session.login == target {
                    session.ended = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::SessionExpiry;
    use crate::domain::ids::AccountId;
    use crate::domain::time::MemberZone;

    const HOLDER: LoginId = LoginId(1);

    fn account() -> AccountState {
        let zone = MemberZone::new("UTC").expect("zone");
        let mut state = AccountState::opened(AccountId(7), zone, "en".to_owned());
        state.apply_login_added(&Login::holder(
            HOLDER,
            Some("h@x.org".to_owned()),
            String::new(),
        ));
        state
    }

    fn add(state: &AccountState, by: LoginId, id: u64) -> Result<Event, Reject> {
        state.decide_add_login(
            by,
            AddLogin {
                id: LoginId(id),
                name: format!("  kid {id} "),
                email: format!("kid{id}@x.org"),
                password_hash: "hash".to_owned(),
            },
            Timestamp(5),
        )
    }

    #[test]
    fn the_holder_adds_a_member_with_a_trimmed_name() {
        let mut state = account();
        let event = add(&state, HOLDER, 2).expect("added");
        state.apply(&event);
        let added = state.logins.get(&LoginId(2)).expect("kept");
        assert_eq!(added.name.as_deref(), Some("kid 2"));
        assert_eq!(added.role, LoginRole::Member);
        assert_eq!(state.role_of(HOLDER), Some(LoginRole::Holder));
    }

    #[test]
    fn a_member_cannot_add_or_disable_logins() {
        let mut state = account();
        state.apply(&add(&state, HOLDER, 2).expect("added"));
        state.apply(&add(&state, HOLDER, 3).expect("added"));
        assert_eq!(add(&state, LoginId(2), 4), Err(Reject::HolderOnly));
        assert_eq!(
            state.decide_login_disabled(LoginId(2), LoginId(3), true, Timestamp(6)),
            Err(Reject::HolderOnly)
        );
    }

    #[test]
    fn names_are_checked_and_logins_bounded() {
        let mut state = account();
        let mut blank = AddLogin {
            id: LoginId(2),
            name: "   ".to_owned(),
            email: "b@x.org".to_owned(),
            password_hash: String::new(),
        };
        assert_eq!(
            state.decide_add_login(HOLDER, blank.clone(), Timestamp(5)),
            Err(Reject::TextInvalid)
        );
        blank.name = "é".repeat(LOGIN_NAME_CHARS_MAX + 1);
        assert_eq!(
            state.decide_add_login(HOLDER, blank, Timestamp(5)),
            Err(Reject::TextInvalid)
        );
        for id in 2..=u64::try_from(LOGINS_MAX).expect("small") {
            state.apply(&add(&state, HOLDER, id).expect("room"));
        }
        assert_eq!(add(&state, HOLDER, 99), Err(Reject::LoginsFull));
        assert_eq!(state.logins.len(), LOGINS_MAX);
    }

    #[test]
    fn disabling_ends_only_that_members_sessions_and_never_the_holders() {
        let mut state = account();
        state.apply(&add(&state, HOLDER, 2).expect("added"));
        let expiry = SessionExpiry::Idle { idle_ms: 1_000 };
        let policy = crate::domain::account::AccountPolicy {
            sessions_per_login_max: 4,
            idempotency_retention_ms: 1,
            unusual: crate::domain::step_up::UnusualActivity::OFF,
        };
        for (login, session) in [(HOLDER, 10), (LoginId(2), 20)] {
            let started = state
                .decide_start_session(login, SessionId(session), expiry, Timestamp(5), &policy)
                .expect("started");
            state.apply(&started);
        }
        assert_eq!(
            state.decide_login_disabled(HOLDER, HOLDER, true, Timestamp(6)),
            Err(Reject::LoginIsHolder)
        );
        assert_eq!(
            state.decide_login_disabled(HOLDER, LoginId(9), true, Timestamp(6)),
            Err(Reject::LoginNotFound)
        );
        let disabled = state
            .decide_login_disabled(HOLDER, LoginId(2), true, Timestamp(6))
            .expect("disabled");
        state.apply(&disabled);
        assert_eq!(
            state
                .live_session(LoginId(2), SessionId(20), Timestamp(7))
                .err(),
            Some(Reject::SessionEnded)
        );
        assert!(
            state
                .live_session(HOLDER, SessionId(10), Timestamp(7))
                .is_ok()
        );
        assert_eq!(
            state
                .decide_start_session(LoginId(2), SessionId(21), expiry, Timestamp(7), &policy)
                .err(),
            Some(Reject::LoginDisabled)
        );
        let enabled = state
            .decide_login_disabled(HOLDER, LoginId(2), false, Timestamp(8))
            .expect("enabled");
        state.apply(&enabled);
        assert!(
            state
                .decide_start_session(LoginId(2), SessionId(21), expiry, Timestamp(9), &policy)
                .is_ok()
        );
    }

    #[test]
    fn only_a_holders_session_passes_the_holder_check() {
        let mut state = account();
        state.apply(&add(&state, HOLDER, 2).expect("added"));
        let expiry = SessionExpiry::Idle { idle_ms: 1_000 };
        let policy = crate::domain::account::AccountPolicy {
            sessions_per_login_max: 4,
            idempotency_retention_ms: 1,
            unusual: crate::domain::step_up::UnusualActivity::OFF,
        };
        for (login, session) in [(HOLDER, 10), (LoginId(2), 20)] {
            let started = state
                .decide_start_session(login, SessionId(session), expiry, Timestamp(5), &policy)
                .expect("started");
            state.apply(&started);
        }
        assert!(
            state
                .holder_session(HOLDER, SessionId(10), Timestamp(6))
                .is_ok()
        );
        assert_eq!(
            state
                .holder_session(LoginId(2), SessionId(20), Timestamp(6))
                .err(),
            Some(Reject::HolderOnly)
        );
    }

    #[test]
    fn a_login_sets_its_own_profile_and_a_field_left_out_stays() {
        let mut state = account();
        let added = add(&state, HOLDER, 2).unwrap();
        state.apply(&added);
        let change = ProfileChange {
            name: Some("  Kimi ".to_owned()),
            language: Some(" ja ".to_owned()),
        };
        let event = state
            .decide_profile(LoginId(2), change, Timestamp(9))
            .unwrap();
        state.apply(&event);
        assert_eq!(
            state.logins.get(&LoginId(2)).unwrap().name.as_deref(),
            Some("Kimi")
        );
        assert_eq!(state.language_of(LoginId(2)), "ja");
        // The holder's own is untouched and reads the account's language.
        assert_eq!(state.language_of(HOLDER), "en");
        assert_eq!(state.logins.get(&HOLDER).unwrap().name, None);
        // Only the language: the name stays.
        let change = ProfileChange {
            name: None,
            language: Some("pt-BR".to_owned()),
        };
        let event = state
            .decide_profile(LoginId(2), change, Timestamp(10))
            .unwrap();
        state.apply(&event);
        assert_eq!(
            state.logins.get(&LoginId(2)).unwrap().name.as_deref(),
            Some("Kimi")
        );
        assert_eq!(state.language_of(LoginId(2)), "pt-BR");
    }

    #[test]
    fn a_profile_breaking_a_rule_is_refused() {
        let state = account();
        let refused = |name: Option<&str>, language: Option<&str>| {
            state.decide_profile(
                HOLDER,
                ProfileChange {
                    name: name.map(str::to_owned),
                    language: language.map(str::to_owned),
                },
                Timestamp(9),
            )
        };
        assert_eq!(refused(Some("  "), None), Err(Reject::TextInvalid));
        assert_eq!(
            refused(Some(&"x".repeat(101)), None),
            Err(Reject::TextInvalid)
        );
        assert_eq!(refused(Some("a\u{7}b"), None), Err(Reject::TextInvalid));
        assert_eq!(refused(None, Some("j")), Err(Reject::TextInvalid));
        assert_eq!(refused(None, Some("en_US")), Err(Reject::TextInvalid));
        // One step away: each passes.
        assert!(refused(Some(&"x".repeat(100)), Some("en-US")).is_ok());
        assert_eq!(
            state.decide_profile(LoginId(99), ProfileChange::default(), Timestamp(9)),
            Err(Reject::LoginNotFound)
        );
    }
}
