//! Wire types of vendor money: fee schedules, commissions, rights holders, royalties, payees'
//! settlement settings, settlement runs and payouts, each with its one conversion to the
//! domain's types (amounts and ids parsed here, rules checked by the domain).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::dto::{amount_field, currency_field, id_field};
use super::error::ApiError;
use crate::domain::bank::BankAccount;
use crate::domain::fees::{CommissionRates, FeePeriod, FeeSchedule, FeeTier};
use crate::domain::ids::{RightsHolderId, VendorId};
use crate::domain::money::{Currency, format_amount};
use crate::domain::payouts::{Payee, PayoutRecord};
use crate::domain::royalty::{RoyaltiesInvalid, Royalty, check_royalties};
use crate::domain::settlement::{PayoutRule, Schedule};

use super::json::rfc3339;

/// One tier of a fee schedule.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierRequest {
    /// Fee base in the period from which this tier's rate applies, a decimal string; the
    /// first tier starts at "0".
    #[schema(value_type = String)]
    pub from_gross: Value,
    /// The rate, parts per million, applied to the base inside this tier.
    pub rate_ppm: u32,
}

/// `PUT /admin/v1/vendors/{vendor_id}/fee-schedule`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeeScheduleRequest {
    /// `month` or `quarter` (calendar, UTC).
    pub period: String,
    /// 1 to 16 tiers, the first from 0, starts rising, rates not rising.
    pub tiers: Vec<TierRequest>,
}

impl FeeScheduleRequest {
    /// The one conversion.
    ///
    /// # Errors
    /// `InvalidField` naming `period` or `tiers`; `InvalidAmount` for a bad `from_gross`.
    pub fn into_schedule(self) -> Result<FeeSchedule, ApiError> {
        let period = match self.period.as_str() {
            "month" => FeePeriod::Month,
            "quarter" => FeePeriod::Quarter,
            _ => {
                return Err(ApiError::InvalidField {
                    param: "period",
                    detail: "month or quarter".to_owned(),
                });
            }
        };
        let tiers = self
            .tiers
            .iter()
            .map(|tier| {
                Ok(FeeTier {
                    from_gross: amount_field(&tier.from_gross, "tiers.from_gross")?,
                    rate_ppm: tier.rate_ppm,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        FeeSchedule::new(period, tiers).map_err(|invalid| ApiError::InvalidField {
            param: invalid.param,
            detail: invalid.rule.to_owned(),
        })
    }
}

/// A fee schedule as shown.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct FeeScheduleView {
    /// `month` or `quarter`.
    pub period: String,
    /// Its tiers.
    pub tiers: Vec<TierView>,
}

/// One tier as shown.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct TierView {
    /// Where the tier starts, in the vendor's currency.
    pub from_gross: String,
    /// Its rate, ppm.
    pub rate_ppm: u32,
}

impl FeeScheduleView {
    /// The schedule's wire form, its amounts in `currency`.
    #[must_use]
    pub fn of(schedule: &FeeSchedule, currency: Currency) -> FeeScheduleView {
        FeeScheduleView {
            period: schedule.period.name().to_owned(),
            tiers: schedule
                .tiers
                .iter()
                .map(|tier| TierView {
                    from_gross: format_amount(tier.from_gross, currency),
                    rate_ppm: tier.rate_ppm,
                })
                .collect(),
        }
    }
}

/// `PUT /admin/v1/vendors/{vendor_id}/commission`, and how it is shown.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionRequest {
    /// Of each purchase by a member the vendor referred (at any vendor), within the referral
    /// window, ppm.
    pub referral_rate_ppm: u32,
    /// Of funds bought through the vendor's site, ppm.
    pub funds_rate_ppm: u32,
}

impl CommissionRequest {
    /// The one conversion.
    ///
    /// # Errors
    /// `InvalidField` naming a rate above 1,000,000.
    pub fn into_rates(self) -> Result<CommissionRates, ApiError> {
        CommissionRates::new(self.referral_rate_ppm, self.funds_rate_ppm).map_err(|invalid| {
            ApiError::InvalidField {
                param: invalid.param,
                detail: invalid.rule.to_owned(),
            }
        })
    }
}

/// A payee's settlement schedule.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// `weekly` (day 1-7, Monday = 1), `twice_monthly` (day 1-15: that day and 15 days later)
    /// or `monthly` (day 1-31; 31 is the month's last day).
    pub kind: String,
    /// The day, as `kind` says.
    pub day: u8,
}

/// Bank details of a payee.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayeeBankRequest {
    /// IBAN (spaces allowed).
    pub iban: String,
    /// BIC, 8 or 11 characters (optional).
    pub bic: Option<String>,
    /// Account holder's name, 1 to 70 characters.
    pub name: String,
}

/// `PUT /admin/v1/vendors/{vendor_id}/settlement` and
/// `PUT /admin/v1/rights-holders/{id}/settlement`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettlementRequest {
    /// Paid as soon as the unsettled net reaches this ("0": no threshold, schedule only).
    #[schema(value_type = String)]
    pub threshold: Value,
    /// Scheduled settlement dates.
    pub schedule: ScheduleRequest,
    /// Paid on a scheduled date only from this much ("0": any positive net).
    #[schema(value_type = String)]
    pub minimum: Value,
    /// Where payouts go; stored encrypted, shown masked.
    pub bank_account: PayeeBankRequest,
}

impl SettlementRequest {
    /// The one conversion: the rule and the bank details.
    ///
    /// # Errors
    /// `InvalidAmount` or `InvalidField` naming the field.
    pub fn into_parts(self) -> Result<(PayoutRule, BankAccount), ApiError> {
        let schedule =
            Schedule::parse(&self.schedule.kind, self.schedule.day).map_err(|invalid| {
                ApiError::InvalidField {
                    param: invalid.param,
                    detail: invalid.rule.to_owned(),
                }
            })?;
        let rule = PayoutRule {
            threshold: amount_field(&self.threshold, "threshold")?,
            schedule,
            minimum: amount_field(&self.minimum, "minimum")?,
        };
        let account = &self.bank_account;
        let bank = BankAccount::parse(&account.iban, account.bic.as_deref(), &account.name)
            .map_err(|invalid| ApiError::InvalidField {
                param: match invalid.param {
                    "iban" => "bank_account.iban",
                    "bic" => "bank_account.bic",
                    _ => "bank_account.name",
                },
                detail: invalid.rule.to_owned(),
            })?;
        Ok((rule, bank))
    }
}

/// A payee's settlement settings as shown (bank details masked).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SettlementView {
    /// The payee.
    pub payee: String,
    /// Threshold.
    pub threshold: String,
    /// Schedule.
    pub schedule: ScheduleView,
    /// Minimum on a scheduled date.
    pub minimum: String,
    /// The IBAN, masked.
    pub bank_account: String,
    /// The next scheduled settlement date, RFC 3339.
    pub next_settlement: String,
}

/// A schedule as shown.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ScheduleView {
    /// Its kind.
    pub kind: String,
    /// Its day.
    pub day: u8,
}

/// `POST /admin/v1/rights-holders`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RightsHolderRequest {
    /// Display name, 1 to 256 bytes.
    pub name: String,
    /// The currency it is paid in (sales naming it must be in this currency).
    pub currency: String,
}

impl RightsHolderRequest {
    /// The one conversion.
    ///
    /// # Errors
    /// `InvalidField` on `currency` or `name`.
    pub fn into_parts(self) -> Result<(String, Currency), ApiError> {
        let currency = currency_field(&self.currency, "currency")?;
        let name = crate::domain::payouts::checked_text(&self.name, 256)
            .ok_or(ApiError::InvalidField {
                param: "name",
                detail: "1 to 256 bytes of text".to_owned(),
            })?
            .to_owned();
        Ok((name, currency))
    }
}

/// `POST /admin/v1/rights-holders` → 201.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RightsHolderCreated {
    /// The new rights holder.
    pub rights_holder_id: String,
}

/// `GET /admin/v1/rights-holders/{id}` → 200.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct RightsHolderView {
    /// The rights holder.
    pub rights_holder_id: String,
    /// Its name.
    pub name: String,
    /// Its currency.
    pub currency: String,
    /// Royalties accrued from every vendor's sales (reversals taken out).
    pub accrued: String,
    /// Paid by settlement runs, net of returned payouts.
    pub settled: String,
    /// Accrued and not paid yet (negative: clawed back from the next payout).
    pub unsettled: String,
    /// When and where it is paid, if set.
    pub settlement: Option<SettlementView>,
}

/// One rights holder's share of a sale, on an offer or an authorize.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoyaltyRequest {
    /// The rights holder (`rh_…`).
    pub rights_holder_id: String,
    /// Its share of the price, parts per million (1 to 1,000,000).
    pub share_ppm: u32,
}

/// The royalties of a sale: ids parsed, shares checked (together at most the price).
///
/// # Errors
/// `InvalidField` on `royalties` naming the rule.
pub fn royalties(requests: Option<&[RoyaltyRequest]>) -> Result<Vec<Royalty>, ApiError> {
    let Some(requests) = requests else {
        return Ok(Vec::new());
    };
    let royalties = requests
        .iter()
        .map(|request| {
            Ok(Royalty {
                rights_holder: id_field::<RightsHolderId>(
                    &request.rights_holder_id,
                    "royalties.rights_holder_id",
                )?,
                share_ppm: request.share_ppm,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    check_royalties(&royalties).map_err(|invalid: RoyaltiesInvalid| ApiError::InvalidField {
        param: "royalties",
        detail: invalid.to_string(),
    })?;
    Ok(royalties)
}

/// `POST /admin/v1/settlement-runs`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettlementRunRequest {
    /// Only these payees (vendor `ven_…` or rights holder `rh_…` ids); omitted: all.
    pub payees: Option<Vec<String>>,
    /// Pay any positive net, whatever each payee's threshold, schedule and minimum.
    pub force: Option<bool>,
}

/// A payee from its wire id: a vendor (`ven_…`) or a rights holder (`rh_…`).
///
/// # Errors
/// `InvalidField` on `param`.
pub fn payee_field(text: &str, param: &'static str) -> Result<Payee, ApiError> {
    if let Ok(vendor) = text.parse::<VendorId>() {
        return Ok(Payee::Vendor(vendor));
    }
    text.parse::<RightsHolderId>()
        .map(Payee::RightsHolder)
        .map_err(|_| ApiError::InvalidField {
            param,
            detail: "a vendor (ven_…) or rights holder (rh_…) id".to_owned(),
        })
}

/// One payout as shown.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PayoutView {
    /// The payout (the end-to-end id in the payment file).
    pub payout_id: String,
    /// The run that made it.
    pub run_id: String,
    /// Who it pays: a vendor or rights-holder id.
    pub payee: String,
    /// How much.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
    /// When it was made (the run's start), RFC 3339.
    pub paid_at: String,
    /// Where to, masked.
    pub bank_account: String,
    /// Set when the bank returned it.
    pub returned: Option<ReturnedView>,
}

/// A return as shown.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ReturnedView {
    /// The bank's reason.
    pub reason: String,
    /// When, RFC 3339.
    pub at: String,
}

impl PayoutView {
    /// A payout record's wire form.
    #[must_use]
    pub fn of(record: &PayoutRecord) -> PayoutView {
        let payout = &record.payout;
        PayoutView {
            payout_id: payout.id.to_string(),
            run_id: record.run.to_string(),
            payee: payout.payee.to_string(),
            amount: format_amount(payout.amount, payout.currency),
            currency: payout.currency.code().to_owned(),
            paid_at: rfc3339(record.at),
            bank_account: payout.bank.masked.clone(),
            returned: record.returned.as_ref().map(|(reason, at)| ReturnedView {
                reason: reason.clone(),
                at: rfc3339(*at),
            }),
        }
    }
}

/// `POST /admin/v1/settlement-runs` → 201, and `GET /admin/v1/settlement-runs/{run_id}`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct SettlementRunResponse {
    /// The run: the payment file's message id.
    pub run_id: String,
    /// When it started, RFC 3339.
    pub started_at: String,
    /// Whether an operator forced payment of any positive net.
    pub forced: bool,
    /// Finished: its file is written (or it had no payouts).
    pub finished: bool,
    /// Its payouts.
    pub payouts: Vec<PayoutView>,
    /// The payment file's name in the outbox; none for a run without payouts.
    pub file: Option<String>,
}

/// `GET /admin/v1/payouts` and `GET /v1/vendors/me/payouts` → 200.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct PayoutsPage {
    /// Newest first.
    pub payouts: Vec<PayoutView>,
    /// Pass as `cursor` for the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// `POST /admin/v1/payouts/{id}/return`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// The bank's reason (1 to 256 bytes), e.g. an ISO 20022 return code and text.
    pub reason: String,
}
