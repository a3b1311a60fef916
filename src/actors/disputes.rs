//! Disputes through the actors: the member's account files and decides them (the money moves
//! there), the selling vendor's actor keeps its view of them (fed from the journal like its
//! sales), and the operators' queue is read from the vendors, so no third copy is kept.

use std::sync::Arc;

use actix::{Context, Handler, Message};

use super::account::AccountActor;
use super::gateway::{GatewayError, ask};
use super::messages::{CommandError, ReplyTo};
use super::registry::{Registry, VendorEntry};
use super::vendor::VendorActor;
use crate::actors::back_office::{BackOfficeCommand, BackOfficeMessage};
use crate::domain::back_office::BackOfficeState;
use crate::domain::dispute::{Dispute, DisputeRules, DisputeStatus};
use crate::domain::event::{Event, Origin};
use crate::domain::ids::{AccountId, AuthorizationId, LoginId, SessionId};
use crate::domain::money::Currency;
use crate::domain::reject::Reject;
use crate::domain::time::Timestamp;

/// Where a dispute sorts in a list: filing time, then account and purchase (unique).
pub type DisputeKey = (Timestamp, AccountId, AuthorizationId);

/// The key of `dispute` of `account`.
#[must_use]
pub fn dispute_key(account: AccountId, dispute: &Dispute) -> DisputeKey {
    (dispute.filed_at, account, dispute.authorization)
}

/// One page of a dispute list, oldest filed first.
#[derive(Clone, Copy, Debug)]
pub struct DisputePage {
    /// Only disputes after this key (the previous page's last).
    pub after: Option<DisputeKey>,
    /// At most this many.
    pub limit: usize,
    /// Only disputes in this status.
    pub status: Option<DisputeStatus>,
}

/// A member files a dispute; answers the dispute once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct FileDisputeMessage {
    /// The member's login.
    pub login: LoginId,
    /// Their session.
    pub session: SessionId,
    /// The disputed purchase.
    pub authorization: AuthorizationId,
    /// Their reason (checked at the edge).
    pub reason: String,
    /// The operators' rules, as published when the request came in.
    pub rules: Arc<BackOfficeState>,
    /// Answers the dispute as filed.
    pub reply: ReplyTo<Dispute>,
}

/// An operator decides a pending dispute; answers the dispute once durable.
#[derive(Message)]
#[rtype(result = "()")]
pub struct DecideDisputeMessage {
    /// The disputed purchase.
    pub authorization: AuthorizationId,
    /// Approve (and reverse) or reject.
    pub approve: bool,
    /// The operator's reason (checked at the edge).
    pub reason: String,
    /// Who decides.
    pub by: Origin,
    /// Answers the dispute as decided.
    pub reply: ReplyTo<Dispute>,
}

/// The member's own disputes, newest filed first.
#[derive(Message)]
#[rtype(result = "()")]
pub struct MemberDisputesMessage {
    /// The member's login.
    pub login: LoginId,
    /// Their session.
    pub session: SessionId,
    /// Answers the disputes.
    pub reply: ReplyTo<Vec<Dispute>>,
}

/// A page of the disputes of one vendor's sales.
#[derive(Message)]
#[rtype(result = "()")]
pub struct VendorDisputesMessage {
    /// Which page.
    pub page: DisputePage,
    /// Answers `(member account, dispute)` pairs in key order.
    pub reply: ReplyTo<Vec<(AccountId, Dispute)>>,
}

impl AccountActor {
    /// The dispute of `authorization` as the state holds it after `events`.
    fn dispute_after(&self, authorization: AuthorizationId) -> Result<Dispute, CommandError> {
        self.state
            .disputes
            .get(&authorization)
            .cloned()
            .ok_or(CommandError::Reject(Reject::DisputeUnknown))
    }

    /// Journals `events` (a dispute's and maybe a reversal) and answers the dispute.
    fn commit_dispute(
        &mut self,
        decided: Result<Vec<Event>, Reject>,
        authorization: AuthorizationId,
        reply: ReplyTo<Dispute>,
    ) {
        let result = decided
            .map_err(CommandError::Reject)
            .and_then(|events| self.commit(events))
            .and_then(|wait| Ok((wait, self.dispute_after(authorization)?)));
        match result {
            Ok((wait, dispute)) => Self::reply_after(Some(wait), reply, Ok(dispute)),
            Err(error) => self.refuse(reply, error),
        }
    }
}

impl Handler<FileDisputeMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: FileDisputeMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        if let Err(reject) = self
            .state
            .holder_session(message.login, message.session, now)
        {
            self.refuse(message.reply, reject.into());
            return;
        }
        let decided = self.state.decide_file_dispute(
            message.authorization,
            &message.reason,
            &message.rules.dispute_rules,
            now,
        );
        self.commit_dispute(decided, message.authorization, message.reply);
    }
}

impl Handler<DecideDisputeMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: DecideDisputeMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        let decided = self.state.decide_dispute_decision(
            message.authorization,
            message.approve,
            &message.reason,
            message.by,
            now,
        );
        self.commit_dispute(decided, message.authorization, message.reply);
    }
}

impl Handler<MemberDisputesMessage> for AccountActor {
    type Result = ();

    fn handle(&mut self, message: MemberDisputesMessage, _: &mut Context<Self>) {
        let now = self.env.clock.now();
        if let Err(reject) = self
            .state
            .holder_session(message.login, message.session, now)
        {
            self.refuse(message.reply, reject.into());
            return;
        }
        let mut disputes: Vec<Dispute> = self.state.disputes.values().cloned().collect();
        disputes.sort_by_key(|d| std::cmp::Reverse((d.filed_at, d.authorization)));
        Self::reply_after(self.pending_read(), message.reply, Ok(disputes));
    }
}

impl Handler<VendorDisputesMessage> for VendorActor {
    type Result = ();

    fn handle(&mut self, message: VendorDisputesMessage, _: &mut Context<Self>) {
        let _ = message.reply.send(Ok(page_of(
            self.state
                .disputes
                .iter()
                .map(|((account, _), dispute)| (*account, dispute)),
            message.page,
        )));
    }
}

/// The page of `disputes` that `page` asks for, in key order.
fn page_of<'a>(
    disputes: impl Iterator<Item = (AccountId, &'a Dispute)>,
    page: DisputePage,
) -> Vec<(AccountId, Dispute)> {
    let mut found: Vec<(AccountId, Dispute)> = disputes
        .filter(|(account, dispute)| {
            page.status.is_none_or(|status| dispute.status == status)
                && page
                    .after
                    .is_none_or(|after| dispute_key(*account, dispute) > after)
        })
        .map(|(account, dispute)| (account, dispute.clone()))
        .collect();
    found.sort_by_key(|(account, dispute)| dispute_key(*account, dispute));
    found.truncate(page.limit);
    found
}

impl Registry {
    /// Files a member's dispute of one of their purchases; answers it once durable.
    ///
    /// # Errors
    /// Session rejects, the domain's dispute rejects, faults.
    pub async fn file_dispute(
        &self,
        account: AccountId,
        (login, session): (LoginId, SessionId),
        authorization: AuthorizationId,
        reason: String,
    ) -> Result<Dispute, GatewayError> {
        let addr = self.account_addr(account)?;
        let rules = self.back_office_state();
        ask(&addr, |reply| FileDisputeMessage {
            login,
            session,
            authorization,
            reason,
            rules,
            reply,
        })
        .await
    }

    /// An operator's decision of a pending dispute; answers it once durable.
    ///
    /// # Errors
    /// `NotFound`, `DisputeUnknown`, `DisputeDecidedAlready`, faults.
    pub async fn decide_dispute(
        &self,
        account: AccountId,
        authorization: AuthorizationId,
        approve: bool,
        reason: String,
        by: Origin,
    ) -> Result<Dispute, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| DecideDisputeMessage {
            authorization,
            approve,
            reason,
            by,
            reply,
        })
        .await
    }

    /// The member's disputes, newest first.
    ///
    /// # Errors
    /// Session rejects, faults.
    pub async fn member_disputes(
        &self,
        account: AccountId,
        (login, session): (LoginId, SessionId),
    ) -> Result<Vec<Dispute>, GatewayError> {
        let addr = self.account_addr(account)?;
        ask(&addr, |reply| MemberDisputesMessage {
            login,
            session,
            reply,
        })
        .await
    }

    /// A page of the disputes of `vendor`'s sales.
    ///
    /// # Errors
    /// Faults.
    pub async fn vendor_disputes(
        &self,
        vendor: &VendorEntry,
        page: DisputePage,
    ) -> Result<Vec<(AccountId, Dispute)>, GatewayError> {
        ask(&vendor.addr, |reply| VendorDisputesMessage { page, reply }).await
    }

    /// A page of every vendor's disputes (the operators' queue): each vendor's page, merged.
    ///
    /// # Errors
    /// Faults.
    pub async fn disputes(
        &self,
        page: DisputePage,
    ) -> Result<Vec<(AccountId, Dispute)>, GatewayError> {
        let mut merged = Vec::new();
        for vendor in self.vendors() {
            merged.extend(self.vendor_disputes(&vendor, page).await?);
        }
        merged.sort_by_key(|(account, dispute)| dispute_key(*account, dispute));
        merged.truncate(page.limit);
        Ok(merged)
    }

    /// Sets one currency's dispute rules; answers once durable.
    ///
    /// # Errors
    /// Faults.
    pub async fn set_dispute_rules(
        &self,
        currency: Currency,
        rules: DisputeRules,
    ) -> Result<(), GatewayError> {
        self.back_office_command(BackOfficeCommand::DisputeRules { currency, rules })
            .await
    }

    /// Journals a back office command; answers once durable.
    ///
    /// # Errors
    /// The domain's rejects (groups and operators), faults.
    pub async fn back_office_command(
        &self,
        command: BackOfficeCommand,
    ) -> Result<(), GatewayError> {
        let addr = self.back_office()?;
        ask(&addr, |reply| BackOfficeMessage { command, reply }).await
    }
}
