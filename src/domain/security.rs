//! Who may do what in the back office ([0074], [0149], [0261]-[0262]). Every back-office route
//! is a named *security function* (`<resource>.<verb>`, declared on its row of the route
//! table); a *security group* grants a set of them; an *operator* (a person with a login)
//! holds the union of their groups' functions. The admin key holds every function.
//!
//! The one rule that keeps delegation safe: nobody gives more than they hold. A group is
//! created only from functions its creator holds, and an operator is put in (or taken out of)
//! groups only by someone holding every function of the groups before and after, so a
//! lesser operator can neither raise anyone above themselves nor strip someone above them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::ids::{OperatorId, SecurityGroupId, VendorId};
use super::reject::Reject;
use super::time::Timestamp;

/// Security groups the service holds at most.
pub const SECURITY_GROUPS_MAX: usize = 1_000;
/// Operators the service holds at most.
pub const OPERATORS_MAX: usize = 10_000;
/// Groups one operator is in at most.
pub const GROUPS_PER_OPERATOR_MAX: usize = 32;
/// Vendor admins one vendor has at most.
pub const VENDOR_ADMINS_PER_VENDOR_MAX: usize = 32;
/// Vendor admins the service holds at most (all of them are in memory).
pub const VENDOR_ADMINS_MAX: usize = 100_000;

/// Who acts in the back office: recorded on every change they make.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Staff {
    /// Whoever holds the admin key (every function).
    AdminKey,
    /// A named operator.
    Operator(OperatorId),
    /// A person of a vendor, acting in that vendor's back office ([0149]).
    VendorAdmin(OperatorId),
}

impl Staff {
    /// The person's id: `None` for the admin key. Operators and vendor admins draw ids from
    /// one space, so an id names one person whichever they are.
    #[must_use]
    pub fn person(self) -> Option<OperatorId> {
        match self {
            Staff::AdminKey => None,
            Staff::Operator(id) | Staff::VendorAdmin(id) => Some(id),
        }
    }

    /// How the audit trail and the pages name who acted: `admin_key` or the operator's id.
    #[must_use]
    pub fn name(self) -> String {
        match self {
            Staff::AdminKey => "admin_key".to_owned(),
            Staff::Operator(id) | Staff::VendorAdmin(id) => id.to_string(),
        }
    }
}

/// A named set of security functions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// Its id.
    pub id: SecurityGroupId,
    /// Its name, for people.
    pub name: String,
    /// The functions it grants (names checked against the route table at the edge).
    pub functions: BTreeSet<String>,
    /// Who created it.
    pub created_by: Staff,
    /// When.
    pub created_at: Timestamp,
}

/// A person who signs in to the back office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// Its id.
    pub id: OperatorId,
    /// Their sign-in e-mail (normalized at the edge), unique among operators.
    pub email: String,
    /// Their argon2id password hash (PHC string).
    pub password_hash: String,
    /// The groups whose functions they hold.
    pub groups: BTreeSet<SecurityGroupId>,
    /// Who created them.
    pub created_by: Staff,
    /// When.
    pub created_at: Timestamp,
}

/// A person who signs in to one vendor's back office ([0149]): sales, disputes, payouts,
/// API keys, incentive programs, as far as their functions go. Their functions are vendor
/// functions (the `Caller::Vendor` rows of the route table), given directly: a vendor has a
/// handful of people, not a hierarchy that groups would pay for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorAdmin {
    /// Its id (from the operators' id space: one e-mail index covers both).
    pub id: OperatorId,
    /// The vendor they act for; never any other.
    pub vendor: VendorId,
    /// Their sign-in e-mail (normalized at the edge), unique among operators and vendor
    /// admins.
    pub email: String,
    /// Their argon2id password hash (PHC string).
    pub password_hash: String,
    /// The vendor functions they hold.
    pub functions: BTreeSet<String>,
    /// The vendor admin who created them; `None`: the vendor's API key (every function).
    pub created_by: Option<OperatorId>,
    /// When.
    pub created_at: Timestamp,
}

/// What one actor may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grants {
    /// Everything (the admin key).
    All,
    /// These functions.
    Some(BTreeSet<String>),
}

impl Grants {
    /// Whether `function` is granted.
    #[must_use]
    pub fn holds(&self, function: &str) -> bool {
        match self {
            Grants::All => true,
            Grants::Some(functions) => functions.contains(function),
        }
    }

    /// The first of `functions` not granted, if any.
    #[must_use]
    pub fn first_missing<'a>(
        &self,
        functions: impl IntoIterator<Item = &'a String>,
    ) -> Option<&'a String> {
        functions.into_iter().find(|f| !self.holds(f))
    }
}

/// The security groups and operators.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Staffing {
    /// Every group.
    pub groups: BTreeMap<SecurityGroupId, SecurityGroup>,
    /// Every operator.
    pub operators: BTreeMap<OperatorId, Operator>,
    /// Operators and vendor admins by e-mail (derived).
    pub emails: BTreeMap<String, OperatorId>,
    /// Every vendor admin.
    pub vendor_admins: BTreeMap<OperatorId, VendorAdmin>,
}

impl Staffing {
    /// What `staff` may do now: groups changed since they signed in count at once.
    #[must_use]
    pub fn grants(&self, staff: Staff) -> Grants {
        match staff {
            Staff::AdminKey => Grants::All,
            Staff::Operator(id) => Grants::Some(
                self.operators
                    .get(&id)
                    .map(|operator| self.functions_of(&operator.groups))
                    .unwrap_or_default(),
            ),
            Staff::VendorAdmin(id) => Grants::Some(
                self.vendor_admins
                    .get(&id)
                    .map(|admin| admin.functions.clone())
                    .unwrap_or_default(),
            ),
        }
    }

    /// The union of the functions of `groups` (unknown ones grant nothing).
    #[must_use]
    pub fn functions_of(&self, groups: &BTreeSet<SecurityGroupId>) -> BTreeSet<String> {
        groups
            .iter()
            .filter_map(|id| self.groups.get(id))
            .flat_map(|group| group.functions.iter().cloned())
            .collect()
    }

    /// Checks that `by` holds every function of `functions`.
    ///
    /// # Errors
    /// `FunctionNotHeld`.
    pub fn check_holds<'a>(
        &self,
        by: Staff,
        functions: impl IntoIterator<Item = &'a String>,
    ) -> Result<(), Reject> {
        match self.grants(by).first_missing(functions) {
            Some(_) => Err(Reject::FunctionNotHeld),
            None => Ok(()),
        }
    }

    /// Checks that every group of `groups` exists, that there are not too many, and that
    /// `by` holds all they grant.
    ///
    /// # Errors
    /// `SecurityGroupUnknown`, `SecurityGroupsTooMany`, `FunctionNotHeld`.
    pub fn check_groups(
        &self,
        by: Staff,
        groups: &BTreeSet<SecurityGroupId>,
    ) -> Result<(), Reject> {
        if groups.len() > GROUPS_PER_OPERATOR_MAX {
            return Err(Reject::SecurityGroupsTooMany);
        }
        if groups.iter().any(|id| !self.groups.contains_key(id)) {
            return Err(Reject::SecurityGroupUnknown);
        }
        self.check_holds(by, &self.functions_of(groups))
    }

    /// Decides a new group of `functions` created by `by`.
    ///
    /// # Errors
    /// `FunctionNotHeld` when `by` does not hold one of them; `SecurityGroupsTooMany` past
    /// `SECURITY_GROUPS_MAX`.
    pub fn decide_group(
        &self,
        id: SecurityGroupId,
        name: &str,
        functions: BTreeSet<String>,
        by: Staff,
        now: Timestamp,
    ) -> Result<SecurityGroup, Reject> {
        if self.groups.len() >= SECURITY_GROUPS_MAX {
            return Err(Reject::SecurityGroupsTooMany);
        }
        self.check_holds(by, &functions)?;
        Ok(SecurityGroup {
            id,
            name: name.to_owned(),
            functions,
            created_by: by,
            created_at: now,
        })
    }

    /// Decides a new operator in `groups`, created by `by`.
    ///
    /// # Errors
    /// `OperatorExists` for an e-mail in use or past `OPERATORS_MAX`; the checks of
    /// [`Staffing::check_groups`].
    pub fn decide_operator(
        &self,
        id: OperatorId,
        email: &str,
        password_hash: String,
        groups: BTreeSet<SecurityGroupId>,
        by: Staff,
        now: Timestamp,
    ) -> Result<Operator, Reject> {
        if self.emails.contains_key(email) || self.operators.len() >= OPERATORS_MAX {
            return Err(Reject::OperatorExists);
        }
        self.check_groups(by, &groups)?;
        Ok(Operator {
            id,
            email: email.to_owned(),
            password_hash,
            groups,
            created_by: by,
            created_at: now,
        })
    }

    /// Checks that `by` may put `operator` in exactly `groups`: it must hold every function
    /// of the groups the operator is in now and of those it will be in.
    ///
    /// # Errors
    /// `OperatorUnknown`; the checks of [`Staffing::check_groups`].
    pub fn check_set_groups(
        &self,
        operator: OperatorId,
        groups: &BTreeSet<SecurityGroupId>,
        by: Staff,
    ) -> Result<(), Reject> {
        let current = self
            .operators
            .get(&operator)
            .ok_or(Reject::OperatorUnknown)?;
        self.check_holds(by, &self.functions_of(&current.groups))?;
        self.check_groups(by, groups)
    }

    /// Adds a group decided by [`Staffing::decide_group`].
    pub fn add_group(&mut self, group: &SecurityGroup) {
        self.groups.insert(group.id, group.clone());
    }

    /// Adds an operator decided by [`Staffing::decide_operator`].
    pub fn add_operator(&mut self, operator: &Operator) {
        self.emails.insert(operator.email.clone(), operator.id);
        self.operators.insert(operator.id, operator.clone());
    }

    /// Puts `operator` in exactly `groups`.
    pub fn set_groups(&mut self, operator: OperatorId, groups: &BTreeSet<SecurityGroupId>) {
        if let Some(found) = self.operators.get_mut(&operator) {
            found.groups.clone_from(groups);
        }
    }

    /// Decides a new admin of `vendor` holding `functions`, created by the vendor's API key
    /// (`by` is `None`: every vendor function) or by one of its own admins, who must hold
    /// every function given.
    ///
    /// # Errors
    /// `OperatorExists` for an e-mail in use, or past [`VENDOR_ADMINS_PER_VENDOR_MAX`] for the
    /// vendor or [`VENDOR_ADMINS_MAX`] in all; `FunctionNotHeld` when `by` does not hold one
    /// of the functions or is another vendor's admin.
    #[allow(clippy::too_many_arguments)]
    pub fn decide_vendor_admin(
        &self,
        id: OperatorId,
        vendor: VendorId,
        email: &str,
        password_hash: String,
        functions: BTreeSet<String>,
        by: Option<OperatorId>,
        now: Timestamp,
    ) -> Result<VendorAdmin, Reject> {
        let of_vendor = self
            .vendor_admins
            .values()
            .filter(|admin| admin.vendor == vendor)
            .count();
        if self.emails.contains_key(email)
            || of_vendor >= VENDOR_ADMINS_PER_VENDOR_MAX
            || self.vendor_admins.len() >= VENDOR_ADMINS_MAX
        {
            return Err(Reject::OperatorExists);
        }
        if let Some(creator) = by {
            let creator = self
                .vendor_admins
                .get(&creator)
                .filter(|creator| creator.vendor == vendor)
                .ok_or(Reject::FunctionNotHeld)?;
            if !functions.is_subset(&creator.functions) {
                return Err(Reject::FunctionNotHeld);
            }
        }
        Ok(VendorAdmin {
            id,
            vendor,
            email: email.to_owned(),
            password_hash,
            functions,
            created_by: by,
            created_at: now,
        })
    }

    /// Adds a vendor admin decided by [`Staffing::decide_vendor_admin`].
    pub fn add_vendor_admin(&mut self, admin: &VendorAdmin) {
        self.emails.insert(admin.email.clone(), admin.id);
        self.vendor_admins.insert(admin.id, admin.clone());
    }

    /// The vendor admin signing in with `email`.
    #[must_use]
    pub fn vendor_admin_by_email(&self, email: &str) -> Option<&VendorAdmin> {
        self.emails
            .get(email)
            .and_then(|id| self.vendor_admins.get(id))
    }

    /// The operator signing in with `email`.
    #[must_use]
    pub fn operator_by_email(&self, email: &str) -> Option<&Operator> {
        self.emails.get(email).and_then(|id| self.operators.get(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    fn staffing() -> (Staffing, OperatorId) {
        let mut staffing = Staffing::default();
        let readers = staffing
            .decide_group(
                SecurityGroupId(1),
                "Readers",
                set(&["members.read", "disputes.read"]),
                Staff::AdminKey,
                Timestamp(1),
            )
            .unwrap();
        staffing.add_group(&readers);
        let deciders = staffing
            .decide_group(
                SecurityGroupId(2),
                "Deciders",
                set(&["disputes.read", "disputes.decide"]),
                Staff::AdminKey,
                Timestamp(1),
            )
            .unwrap();
        staffing.add_group(&deciders);
        let reader = staffing
            .decide_operator(
                OperatorId(10),
                "reader@msp.example",
                String::new(),
                [SecurityGroupId(1)].into(),
                Staff::AdminKey,
                Timestamp(2),
            )
            .unwrap();
        staffing.add_operator(&reader);
        (staffing, reader.id)
    }

    #[test]
    fn a_vendor_admin_gives_only_what_they_hold_and_only_for_their_vendor() {
        let (mut staffing, _) = staffing();
        let (vendor, other) = (VendorId(7), VendorId(8));
        let chief = staffing
            .decide_vendor_admin(
                OperatorId(20),
                vendor,
                "chief@news.example",
                String::new(),
                set(&["sales.read", "disputes.read", "vendor_admins.create"]),
                None,
                Timestamp(3),
            )
            .unwrap();
        staffing.add_vendor_admin(&chief);
        let grants = staffing.grants(Staff::VendorAdmin(chief.id));
        assert!(grants.holds("sales.read") && !grants.holds("payouts.read"));
        let more = staffing.decide_vendor_admin(
            OperatorId(21),
            vendor,
            "clerk@news.example",
            String::new(),
            set(&["sales.read", "payouts.read"]),
            Some(chief.id),
            Timestamp(4),
        );
        assert_eq!(more, Err(Reject::FunctionNotHeld));
        let elsewhere = staffing.decide_vendor_admin(
            OperatorId(21),
            other,
            "clerk@other.example",
            String::new(),
            set(&["sales.read"]),
            Some(chief.id),
            Timestamp(4),
        );
        assert_eq!(elsewhere, Err(Reject::FunctionNotHeld));
        let taken = staffing.decide_vendor_admin(
            OperatorId(22),
            vendor,
            "reader@msp.example",
            String::new(),
            set(&["sales.read"]),
            None,
            Timestamp(4),
        );
        assert_eq!(taken, Err(Reject::OperatorExists), "an operator's e-mail");
        let clerk = staffing
            .decide_vendor_admin(
                OperatorId(21),
                vendor,
                "clerk@news.example",
                String::new(),
                set(&["sales.read"]),
                Some(chief.id),
                Timestamp(4),
            )
            .unwrap();
        staffing.add_vendor_admin(&clerk);
        assert!(staffing.operator_by_email("clerk@news.example").is_none());
        assert_eq!(
            staffing
                .vendor_admin_by_email("clerk@news.example")
                .map(|a| a.id),
            Some(clerk.id)
        );
    }

    #[test]
    fn an_operator_holds_the_union_of_their_groups_and_the_key_holds_all() {
        let (mut staffing, reader) = staffing();
        let grants = staffing.grants(Staff::Operator(reader));
        assert!(grants.holds("members.read") && grants.holds("disputes.read"));
        assert!(!grants.holds("disputes.decide"));
        assert!(staffing.grants(Staff::AdminKey).holds("anything.at_all"));
        assert!(
            !staffing
                .grants(Staff::Operator(OperatorId(99)))
                .holds("members.read")
        );
        // A change of groups counts at once.
        staffing.set_groups(reader, &[SecurityGroupId(1), SecurityGroupId(2)].into());
        assert!(
            staffing
                .grants(Staff::Operator(reader))
                .holds("disputes.decide")
        );
    }

    #[test]
    fn nobody_gives_more_than_they_hold() {
        let (staffing, reader) = staffing();
        let by = Staff::Operator(reader);
        // A subset of their own functions: allowed; one more: refused.
        assert!(
            staffing
                .decide_group(
                    SecurityGroupId(3),
                    "Sub",
                    set(&["members.read"]),
                    by,
                    Timestamp(3)
                )
                .is_ok()
        );
        assert_eq!(
            staffing.decide_group(
                SecurityGroupId(3),
                "More",
                set(&["members.read", "disputes.decide"]),
                by,
                Timestamp(3)
            ),
            Err(Reject::FunctionNotHeld)
        );
        // Adding a person to a group with a function they lack: refused; to their own: fine.
        let add = |groups: &[u64]| {
            staffing.decide_operator(
                OperatorId(11),
                "new@msp.example",
                String::new(),
                groups.iter().map(|id| SecurityGroupId(*id)).collect(),
                by,
                Timestamp(3),
            )
        };
        assert_eq!(add(&[2]), Err(Reject::FunctionNotHeld));
        assert!(add(&[1]).is_ok());
        assert_eq!(add(&[7]), Err(Reject::SecurityGroupUnknown));
        // Nor may they move someone who holds more than they do.
        let mut staffing = staffing;
        let boss = staffing
            .decide_operator(
                OperatorId(12),
                "boss@msp.example",
                String::new(),
                [SecurityGroupId(1), SecurityGroupId(2)].into(),
                Staff::AdminKey,
                Timestamp(4),
            )
            .unwrap();
        staffing.add_operator(&boss);
        assert_eq!(
            staffing.check_set_groups(boss.id, &[SecurityGroupId(1)].into(), by),
            Err(Reject::FunctionNotHeld)
        );
        assert_eq!(
            staffing.check_set_groups(OperatorId(99), &BTreeSet::new(), by),
            Err(Reject::OperatorUnknown)
        );
        assert_eq!(
            staffing.decide_operator(
                OperatorId(13),
                "boss@msp.example",
                String::new(),
                BTreeSet::new(),
                Staff::AdminKey,
                Timestamp(5)
            ),
            Err(Reject::OperatorExists)
        );
    }
}
