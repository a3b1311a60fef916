//! The stored form of disputes (in `DisputeFiled` events and in account and vendor
//! snapshots), of the back office's stream (dispute rules, security groups, operators) and
//! of its audit trail. Kept apart from `format.rs` so the dispute
//! work reads in one place; the rules of the parent hold: plain integers and strings, one
//! conversion each way, and decoding checks what the domain would have refused.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{CurrencyV4, FormatError, currency, currency_v4};
use crate::domain::audit::{AuditCall, AuditEvent};
use crate::domain::back_office::BackOfficeEvent;
use crate::domain::dispute::{Dispute, DisputeRules, DisputeStatus, Verdict};
use crate::domain::four_eyes::HeldRequest;
use crate::domain::ids::{
    ApprovalId, AuthorizationId, EntitlementId, OperatorId, SecurityGroupId, VendorId,
};
use crate::domain::money::Amount;
use crate::domain::security::{Operator, SecurityGroup, Staff, VendorAdmin};
use crate::domain::time::Timestamp;

/// What decided a dispute at filing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum VerdictV4 {
    ConditionI,
    ConditionsIiToIv,
    Pending,
}

/// Where a dispute stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum DisputeStatusV4 {
    Pending,
    Approved,
    Rejected,
}

/// One dispute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct DisputeV4 {
    authorization: u64,
    entitlement: u64,
    vendor: u64,
    currency: CurrencyV4,
    amount: u64,
    purchased_at: i64,
    filed_at: i64,
    reason: String,
    verdict: VerdictV4,
    status: DisputeStatusV4,
    /// `(decided_at, reason)` of an operator's decision.
    decision: Option<(i64, String)>,
}

/// A change of the back office's stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum BackOfficeEventV4 {
    DisputeRulesSet {
        currency: CurrencyV4,
        window_days: u32,
        period_days: u32,
        m: u64,
        x_ppm: u32,
        y_ppm: u32,
        n: u32,
        at: i64,
    },
    SecurityGroupCreated {
        id: u64,
        name: String,
        functions: Vec<String>,
        created_by: StaffV4,
        created_at: i64,
    },
    OperatorCreated {
        id: u64,
        email: String,
        password_hash: String,
        groups: Vec<u64>,
        created_by: StaffV4,
        created_at: i64,
    },
    OperatorGroupsSet {
        operator: u64,
        groups: Vec<u64>,
        by: StaffV4,
        at: i64,
    },
    RequestHeld {
        id: u64,
        function: String,
        method: String,
        target: String,
        body: Vec<u8>,
        idempotency_key: Option<String>,
        by: StaffV4,
        at: i64,
    },
    RequestDecided {
        id: u64,
        approve: bool,
        by: StaffV4,
        at: i64,
    },
    VendorAdminCreated {
        id: u64,
        vendor: u64,
        email: String,
        password_hash: String,
        functions: Vec<String>,
        created_by: Option<u64>,
        created_at: i64,
    },
}

/// An entry of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum AuditEventV4 {
    Called {
        by: StaffV4,
        function: String,
        method: String,
        target: String,
        change: String,
        at: i64,
    },
    Answered {
        call: u64,
        status: u16,
        at: i64,
    },
}

pub(super) fn audit_v4(entry: &AuditEvent) -> AuditEventV4 {
    match entry {
        AuditEvent::Called(call) => AuditEventV4::Called {
            by: staff_v4(call.by),
            function: call.function.clone(),
            method: call.method.clone(),
            target: call.target.clone(),
            change: call.change.clone(),
            at: call.at.0,
        },
        AuditEvent::Answered { call, status, at } => AuditEventV4::Answered {
            call: *call,
            status: *status,
            at: at.0,
        },
    }
}

pub(super) fn audit(stored: AuditEventV4) -> AuditEvent {
    match stored {
        AuditEventV4::Called {
            by,
            function,
            method,
            target,
            change,
            at,
        } => AuditEvent::Called(Box::new(AuditCall {
            by: staff(by),
            function,
            method,
            target,
            change,
            at: Timestamp(at),
        })),
        AuditEventV4::Answered { call, status, at } => AuditEvent::Answered {
            call,
            status,
            at: Timestamp(at),
        },
    }
}

/// Who acted in the back office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum StaffV4 {
    AdminKey,
    Operator(u64),
    VendorAdmin(u64),
}

pub(super) fn staff_v4(staff: Staff) -> StaffV4 {
    match staff {
        Staff::AdminKey => StaffV4::AdminKey,
        Staff::Operator(id) => StaffV4::Operator(id.0),
        Staff::VendorAdmin(id) => StaffV4::VendorAdmin(id.0),
    }
}

pub(super) fn staff(stored: StaffV4) -> Staff {
    match stored {
        StaffV4::AdminKey => Staff::AdminKey,
        StaffV4::Operator(id) => Staff::Operator(OperatorId(id)),
        StaffV4::VendorAdmin(id) => Staff::VendorAdmin(OperatorId(id)),
    }
}

fn groups(stored: Vec<u64>) -> BTreeSet<SecurityGroupId> {
    stored.into_iter().map(SecurityGroupId).collect()
}

pub(super) fn dispute_v4(dispute: &Dispute) -> DisputeV4 {
    DisputeV4 {
        authorization: dispute.authorization.0,
        entitlement: dispute.entitlement.0,
        vendor: dispute.vendor.0,
        currency: currency_v4(dispute.currency),
        amount: dispute.amount.micros(),
        purchased_at: dispute.purchased_at.0,
        filed_at: dispute.filed_at.0,
        reason: dispute.reason.to_string(),
        verdict: match dispute.verdict {
            Verdict::ApprovedByConditionI => VerdictV4::ConditionI,
            Verdict::ApprovedByConditionsIiToIv => VerdictV4::ConditionsIiToIv,
            Verdict::Pending => VerdictV4::Pending,
        },
        status: match dispute.status {
            DisputeStatus::Pending => DisputeStatusV4::Pending,
            DisputeStatus::Approved => DisputeStatusV4::Approved,
            DisputeStatus::Rejected => DisputeStatusV4::Rejected,
        },
        decision: dispute
            .decision
            .as_ref()
            .map(|(at, reason)| (at.0, reason.to_string())),
    }
}

pub(super) fn dispute(stored: DisputeV4) -> Result<Dispute, FormatError> {
    let verdict = match stored.verdict {
        VerdictV4::ConditionI => Verdict::ApprovedByConditionI,
        VerdictV4::ConditionsIiToIv => Verdict::ApprovedByConditionsIiToIv,
        VerdictV4::Pending => Verdict::Pending,
    };
    let status = match stored.status {
        DisputeStatusV4::Pending => DisputeStatus::Pending,
        DisputeStatusV4::Approved => DisputeStatus::Approved,
        DisputeStatusV4::Rejected => DisputeStatus::Rejected,
    };
    // Only an operator moves a dispute filed as pending; one approved at filing stays so.
    if verdict != Verdict::Pending && status != DisputeStatus::Approved {
        return Err(FormatError::Corrupt(
            "a dispute approved at filing is not approved",
        ));
    }
    let undecided = verdict == Verdict::Pending && stored.decision.is_none();
    if (status == DisputeStatus::Pending) != undecided
        || (verdict != Verdict::Pending && stored.decision.is_some())
    {
        return Err(FormatError::Corrupt(
            "a dispute's status and decision disagree",
        ));
    }
    Ok(Dispute {
        authorization: AuthorizationId(stored.authorization),
        entitlement: EntitlementId(stored.entitlement),
        vendor: VendorId(stored.vendor),
        currency: currency(stored.currency)?,
        amount: Amount::from_micros(stored.amount),
        purchased_at: Timestamp(stored.purchased_at),
        filed_at: Timestamp(stored.filed_at),
        reason: stored.reason.into_boxed_str(),
        verdict,
        status,
        decision: stored
            .decision
            .map(|(at, reason)| (Timestamp(at), reason.into_boxed_str())),
    })
}

pub(super) fn back_office_v4(change: &BackOfficeEvent) -> BackOfficeEventV4 {
    match change {
        BackOfficeEvent::DisputeRulesSet {
            currency,
            rules,
            at,
        } => BackOfficeEventV4::DisputeRulesSet {
            currency: currency_v4(*currency),
            window_days: rules.window_days,
            period_days: rules.period_days,
            m: rules.m.micros(),
            x_ppm: rules.x_ppm,
            y_ppm: rules.y_ppm,
            n: rules.n,
            at: at.0,
        },
        BackOfficeEvent::SecurityGroupCreated(group) => BackOfficeEventV4::SecurityGroupCreated {
            id: group.id.0,
            name: group.name.clone(),
            functions: group.functions.iter().cloned().collect(),
            created_by: staff_v4(group.created_by),
            created_at: group.created_at.0,
        },
        BackOfficeEvent::OperatorCreated(operator) => BackOfficeEventV4::OperatorCreated {
            id: operator.id.0,
            email: operator.email.clone(),
            password_hash: operator.password_hash.clone(),
            groups: operator.groups.iter().map(|group| group.0).collect(),
            created_by: staff_v4(operator.created_by),
            created_at: operator.created_at.0,
        },
        BackOfficeEvent::VendorAdminCreated(admin) => BackOfficeEventV4::VendorAdminCreated {
            id: admin.id.0,
            vendor: admin.vendor.0,
            email: admin.email.clone(),
            password_hash: admin.password_hash.clone(),
            functions: admin.functions.iter().cloned().collect(),
            created_by: admin.created_by.map(|by| by.0),
            created_at: admin.created_at.0,
        },
        BackOfficeEvent::OperatorGroupsSet {
            operator,
            groups,
            by,
            at,
        } => BackOfficeEventV4::OperatorGroupsSet {
            operator: operator.0,
            groups: groups.iter().map(|group| group.0).collect(),
            by: staff_v4(*by),
            at: at.0,
        },
        BackOfficeEvent::RequestHeld(held) => BackOfficeEventV4::RequestHeld {
            id: held.id.0,
            function: held.function.clone(),
            method: held.method.clone(),
            target: held.target.clone(),
            body: held.body.clone(),
            idempotency_key: held.idempotency_key.clone(),
            by: staff_v4(held.by),
            at: held.at.0,
        },
        BackOfficeEvent::RequestDecided {
            id,
            approve,
            by,
            at,
        } => BackOfficeEventV4::RequestDecided {
            id: id.0,
            approve: *approve,
            by: staff_v4(*by),
            at: at.0,
        },
    }
}

pub(super) fn back_office(stored: BackOfficeEventV4) -> Result<BackOfficeEvent, FormatError> {
    match stored {
        BackOfficeEventV4::DisputeRulesSet {
            currency: code,
            window_days,
            period_days,
            m,
            x_ppm,
            y_ppm,
            n,
            at,
        } => Ok(BackOfficeEvent::DisputeRulesSet {
            currency: currency(code)?,
            rules: DisputeRules::new(
                window_days,
                period_days,
                Amount::from_micros(m),
                x_ppm,
                y_ppm,
                n,
            )
            .map_err(|_| FormatError::Corrupt("dispute rules break their bounds"))?,
            at: Timestamp(at),
        }),
        BackOfficeEventV4::SecurityGroupCreated {
            id,
            name,
            functions,
            created_by,
            created_at,
        } => Ok(BackOfficeEvent::SecurityGroupCreated(Box::new(
            SecurityGroup {
                id: SecurityGroupId(id),
                name,
                functions: functions.into_iter().collect(),
                created_by: staff(created_by),
                created_at: Timestamp(created_at),
            },
        ))),
        BackOfficeEventV4::OperatorCreated {
            id,
            email,
            password_hash,
            groups: stored,
            created_by,
            created_at,
        } => Ok(BackOfficeEvent::OperatorCreated(Box::new(Operator {
            id: OperatorId(id),
            email,
            password_hash,
            groups: groups(stored),
            created_by: staff(created_by),
            created_at: Timestamp(created_at),
        }))),
        BackOfficeEventV4::VendorAdminCreated {
            id,
            vendor,
            email,
            password_hash,
            functions,
            created_by,
            created_at,
        } => Ok(BackOfficeEvent::VendorAdminCreated(Box::new(VendorAdmin {
            id: OperatorId(id),
            vendor: VendorId(vendor),
            email,
            password_hash,
            functions: functions.into_iter().collect(),
            created_by: created_by.map(OperatorId),
            created_at: Timestamp(created_at),
        }))),
        BackOfficeEventV4::OperatorGroupsSet {
            operator,
            groups: stored,
            by,
            at,
        } => Ok(BackOfficeEvent::OperatorGroupsSet {
            operator: OperatorId(operator),
            groups: groups(stored),
            by: staff(by),
            at: Timestamp(at),
        }),
        BackOfficeEventV4::RequestHeld {
            id,
            function,
            method,
            target,
            body,
            idempotency_key,
            by,
            at,
        } => Ok(BackOfficeEvent::RequestHeld(Box::new(HeldRequest {
            id: ApprovalId(id),
            function,
            method,
            target,
            body,
            idempotency_key,
            by: staff(by),
            at: Timestamp(at),
        }))),
        BackOfficeEventV4::RequestDecided {
            id,
            approve,
            by,
            at,
        } => Ok(BackOfficeEvent::RequestDecided {
            id: ApprovalId(id),
            approve,
            by: staff(by),
            at: Timestamp(at),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{
        decode_account, decode_record, decode_vendor, encode_account, encode_record, encode_vendor,
    };
    use super::*;
    use crate::domain::account::AccountState;
    use crate::domain::event::{Event, Origin};
    use crate::domain::ids::AccountId;
    use crate::domain::money::Currency;
    use crate::domain::time::MemberZone;
    use crate::domain::vendor::{VendorRegistration, VendorState, decide_register};

    fn filed(status: DisputeStatus, verdict: Verdict) -> Dispute {
        Dispute {
            authorization: AuthorizationId(11),
            entitlement: EntitlementId(12),
            vendor: VendorId(3),
            currency: Currency::parse("USD").unwrap(),
            amount: Amount::from_micros(990_000),
            purchased_at: Timestamp(100),
            filed_at: Timestamp(200),
            reason: "It never loaded".into(),
            verdict,
            status,
            decision: None,
        }
    }

    #[test]
    fn dispute_and_back_office_events_round_trip() {
        let rules = DisputeRules::new(14, 30, Amount::from_micros(1_000_000), 1, 2, 3).unwrap();
        let events = [
            Event::DisputeFiled {
                account: AccountId(1),
                dispute: Box::new(filed(DisputeStatus::Pending, Verdict::Pending)),
            },
            Event::DisputeFiled {
                account: AccountId(1),
                dispute: Box::new(filed(
                    DisputeStatus::Approved,
                    Verdict::ApprovedByConditionsIiToIv,
                )),
            },
            Event::DisputeDecided {
                account: AccountId(1),
                authorization: AuthorizationId(11),
                vendor: VendorId(3),
                approve: false,
                reason: "Checked".to_owned(),
                by: Origin::Admin,
                at: Timestamp(300),
            },
            Event::BackOffice(Box::new(BackOfficeEvent::DisputeRulesSet {
                currency: Currency::parse("EUR").unwrap(),
                rules,
                at: Timestamp(5),
            })),
            Event::BackOffice(Box::new(BackOfficeEvent::SecurityGroupCreated(Box::new(
                SecurityGroup {
                    id: SecurityGroupId(4),
                    name: "Disputes desk".to_owned(),
                    functions: ["disputes.decide".to_owned(), "disputes.read".to_owned()].into(),
                    created_by: Staff::AdminKey,
                    created_at: Timestamp(6),
                },
            )))),
            Event::BackOffice(Box::new(BackOfficeEvent::OperatorCreated(Box::new(
                Operator {
                    id: OperatorId(5),
                    email: "desk@msp.example".to_owned(),
                    password_hash: "$argon2id$v=19$...".to_owned(),
                    groups: [SecurityGroupId(4)].into(),
                    created_by: Staff::Operator(OperatorId(1)),
                    created_at: Timestamp(7),
                },
            )))),
            Event::BackOffice(Box::new(BackOfficeEvent::OperatorGroupsSet {
                operator: OperatorId(5),
                groups: BTreeSet::new(),
                by: Staff::AdminKey,
                at: Timestamp(8),
            })),
            Event::Audit(Box::new(AuditEvent::Called(Box::new(AuditCall {
                by: Staff::Operator(OperatorId(5)),
                function: "disputes.decide".to_owned(),
                method: "POST".to_owned(),
                target: "/admin/v1/disputes/dsp_x/decision".to_owned(),
                change: r#"{"approve":true}"#.to_owned(),
                at: Timestamp(9),
            })))),
            Event::Audit(Box::new(AuditEvent::Answered {
                call: 0,
                status: 200,
                at: Timestamp(10),
            })),
            Event::BackOffice(Box::new(BackOfficeEvent::RequestHeld(Box::new(
                HeldRequest {
                    id: ApprovalId(3),
                    function: "deposits.create".to_owned(),
                    method: "POST".to_owned(),
                    target: "/admin/v1/members/acct_0000000000000001/deposits".to_owned(),
                    body: br#"{"amount":"5.00"}"#.to_vec(),
                    idempotency_key: Some("k1".to_owned()),
                    by: Staff::Operator(OperatorId(5)),
                    at: Timestamp(11),
                },
            )))),
            Event::BackOffice(Box::new(BackOfficeEvent::RequestDecided {
                id: ApprovalId(3),
                approve: true,
                by: Staff::AdminKey,
                at: Timestamp(12),
            })),
        ];
        for event in events {
            assert_eq!(decode_record(&encode_record(9, &event)), Ok((9, event)));
        }
    }

    #[test]
    fn a_dispute_whose_status_breaks_its_rule_is_corrupt() {
        let approved_at_filing = filed(DisputeStatus::Approved, Verdict::ApprovedByConditionI);
        assert!(dispute(dispute_v4(&approved_at_filing)).is_ok());
        for broken in [
            filed(DisputeStatus::Pending, Verdict::ApprovedByConditionI),
            filed(DisputeStatus::Rejected, Verdict::ApprovedByConditionI),
            filed(DisputeStatus::Approved, Verdict::Pending),
            Dispute {
                decision: Some((Timestamp(300), "late".into())),
                ..filed(DisputeStatus::Pending, Verdict::Pending)
            },
        ] {
            assert!(
                matches!(dispute(dispute_v4(&broken)), Err(FormatError::Corrupt(_))),
                "{broken:?}"
            );
        }
        let out_of_bounds = BackOfficeEventV4::DisputeRulesSet {
            currency: *b"USD",
            window_days: 0,
            period_days: 30,
            m: 1,
            x_ppm: 0,
            y_ppm: 0,
            n: 0,
            at: 1,
        };
        assert!(matches!(
            back_office(out_of_bounds),
            Err(FormatError::Corrupt(_))
        ));
    }

    #[test]
    fn account_and_vendor_snapshots_keep_their_disputes() {
        let decided = Dispute {
            decision: Some((Timestamp(300), "Checked".into())),
            ..filed(DisputeStatus::Rejected, Verdict::Pending)
        };
        let mut account = AccountState::opened(
            AccountId(1),
            MemberZone::new("UTC").unwrap(),
            "en".to_owned(),
        );
        account
            .disputes
            .insert(decided.authorization, decided.clone());
        let read = decode_account(&encode_account(4, &account).rows[0].1).unwrap();
        assert_eq!(read.state.disputes, account.disputes);

        let registered = decide_register(
            VendorId(3),
            VendorRegistration {
                name: "News".to_owned(),
                currency: Currency::parse("USD").unwrap(),
                content_domains: vec!["news.example".to_owned()],
                fee_ppm: 30_000,
                api_key_digest: [1; 32],
            },
            Timestamp(1),
        )
        .unwrap();
        let mut vendor = VendorState::from_registered(&registered, 1).unwrap();
        vendor
            .disputes
            .insert((AccountId(1), decided.authorization), decided);
        let read = decode_vendor(&encode_vendor(2, &vendor).rows[0].1).unwrap();
        assert_eq!(read.state, vendor);
    }
}
