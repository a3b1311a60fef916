//! Payment methods at the edge: the port that tokenizes and charges a member's saved payment
//! methods for added funds and top-offs ([0229]-[0233]), and the one way a charge is made.
//!
//! A charge never comes before the account said its credit can land. [`deposit`] runs the
//! steps in this order: the account actor checks the deposit (wallet in the currency, amount
//! within bounds, not frozen, the credit fits) and journals `DepositStarted`; then the
//! processor is called, outside the actor (its mailbox is never held across the call), with
//! the deposit id as its idempotency key; then the actor journals the answer (credited;
//! accepted to settle later, for a bank debit; or failed with the processor's decline code).
//! A crash between the charge and its credit leaves a started deposit in the journal:
//! start-up asks the processor again with the same key ([`resolve_open_deposits`]) and
//! journals the answer, so the member gets the money once and is charged once.
//!
//! A bank debit settles days later ([0233]): an accepted debit is watched by
//! [`settlement::Settlements`] until the processor says it settled or came back, and that is
//! journaled too. A method is saved by tokenizing it (`PaymentProcessor::tokenize`): the
//! number goes to the processor once and only its token, brand and last four digits are
//! kept. Rejected: charging first and crediting after (the charge could not be taken back
//! when the credit was refused, e.g. a currency without a wallet), and crediting before the
//! charge (money out of nothing when the charge fails).

pub mod pain001;
pub mod settlement;
mod test_processor;

pub use settlement::Settlements;
pub use test_processor::{TEST_BANK_SETTLE_MS, TestProcessor};

use crate::actors::gateway::GatewayError;
use crate::actors::messages::DepositStart;
use crate::actors::registry::Registry;
use crate::domain::account::{DepositOutcome, Settlement, StartDeposit};
use crate::domain::ids::{AccountId, DepositId};
use crate::domain::kept::KeptOutcome;
use crate::domain::money::{Amount, Currency};
use crate::domain::payment_method::{Rail, SavedMethod};
use crate::domain::time::Timestamp;

/// A charge (or a method) the processor refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the payment method declined: {code}")]
pub struct Declined {
    /// The processor's decline code, snake_case (`card_declined`, `insufficient_funds`,
    /// `expired_card`, …): shown to the member as `decline_code` and journaled with the
    /// failed deposit.
    pub code: String,
}

impl Declined {
    fn because(code: &str) -> Declined {
        Declined {
            code: code.to_owned(),
        }
    }
}

/// A card or bank account as the member typed it, before the processor tokenizes it. Only
/// ever held for the length of one request: never stored, logged or kept in a cache.
#[derive(Clone, PartialEq, Eq)]
pub enum NewMethod {
    /// A card, its number checked at the edge (digits, length and check digit).
    Card {
        /// The card number, digits only.
        number: String,
        /// Expiry month, 1 to 12.
        exp_month: u8,
        /// Expiry year, four digits.
        exp_year: u16,
    },
    /// A bank account to debit, its IBAN checked at the edge (country, length, check digits).
    Bank {
        /// The IBAN, upper case, without spaces.
        iban: String,
        /// The account holder's name.
        holder: String,
    },
}

impl std::fmt::Debug for NewMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the number: a debug print must not leak it into a log.
        let (kind, number) = match self {
            NewMethod::Card { number, .. } => ("Card", number),
            NewMethod::Bank { iban, .. } => ("Bank", iban),
        };
        let last4 = number.get(number.len().saturating_sub(4)..).unwrap_or("");
        write!(f, "{kind}(•••• {last4})")
    }
}

/// What the processor keeps for a method and gives back to charge it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokenized {
    /// Card or bank debit.
    pub rail: Rail,
    /// The brand (`visa`, `mastercard`, `amex`, `card`, or `bank`).
    pub brand: String,
    /// The last four digits.
    pub last4: String,
    /// The token a charge names.
    pub token: String,
}

/// One charge to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The deposit this charge pays: the processor's idempotency key. Asking again with the
    /// same key answers the first outcome and charges nothing more.
    pub key: DepositId,
    /// Whose saved method is charged.
    pub account: AccountId,
    /// Which method (its token).
    pub method: SavedMethod,
    /// How much.
    pub amount: Amount,
    /// In which currency.
    pub currency: Currency,
    /// When the deposit started (a bank debit settles some time after it).
    pub started_at: Timestamp,
}

/// A charge the processor took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charged {
    /// The processor's reference, for reconciliation.
    pub reference: String,
    /// A bank debit: accepted now, settled or returned later (ask `settlement`).
    pub settles_later: bool,
}

/// The payment processor port: card and bank-debit adapters implement it. Implementations
/// must be quick or asynchronous at their own edge; the test processor answers at once.
pub trait PaymentProcessor: Send + Sync {
    /// Tokenizes a method the member typed: the number goes to the processor once and the
    /// token comes back.
    ///
    /// # Errors
    /// `Declined` when the processor refuses the method.
    fn tokenize(&self, method: &NewMethod) -> Result<Tokenized, Declined>;

    /// Charges and answers the processor's reference. Idempotent per `charge.key`: the same
    /// key answers the same outcome and charges at most once, also after a restart of this
    /// server (a real processor keeps its keys; the test processor derives its answer from
    /// the key and the token).
    ///
    /// # Errors
    /// `Declined` with the processor's decline code.
    fn charge(&self, charge: &Charge) -> Result<Charged, Declined>;

    /// Where an accepted bank debit stands at `now`: `None` while it is still pending.
    fn settlement(&self, charge: &Charge, now: Timestamp) -> Option<Settlement>;
}

/// Why a deposit did not credit the wallet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    /// The account refused it before anything was charged (or could not decide).
    #[error(transparent)]
    Refused(#[from] GatewayError),
    /// The processor declined the charge; the failure is journaled.
    #[error(transparent)]
    Declined(#[from] Declined),
}

/// How a deposit ended for the member, naming it (a retry of a kept request names the
/// first one's deposit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deposited {
    /// Charged and credited: the money is final.
    Credited(DepositId),
    /// A bank debit accepted and credited as unsettled: spendable now, final when it settles.
    Pending(DepositId),
}

/// Charges `processor` for a deposit into `account` and credits it, in the order the module
/// documentation gives. Answers once the credit is durable; an accepted bank debit is handed
/// to `settlements` to watch.
///
/// # Errors
/// `Refused` when the account refuses the deposit (nothing is charged) or a fault stops it
/// (after a charge, the started deposit is resolved at the next start); `Declined` when the
/// processor declines (the failure is journaled).
pub async fn deposit(
    registry: &Registry,
    processor: &dyn PaymentProcessor,
    settlements: &Settlements,
    account: AccountId,
    command: StartDeposit,
    now: Timestamp,
) -> Result<Deposited, DepositError> {
    let (deposit, amount, currency) = (command.deposit, command.amount, command.currency);
    let method = match registry.start_deposit(account, command).await {
        Ok(DepositStart::Started(method)) => method,
        Ok(DepositStart::Replay { deposit, outcome }) => return replayed(deposit, outcome),
        Err(refused) => {
            metrics::counter!(crate::metrics::DEPOSITS, "step" => "refused").increment(1);
            return Err(refused.into());
        }
    };
    metrics::counter!(crate::metrics::DEPOSITS, "step" => "started").increment(1);
    let charge = Charge {
        key: deposit,
        account,
        method,
        amount,
        currency,
        started_at: now,
    };
    let answer = charge_once(processor, &charge);
    registry
        .finish_deposit(account, deposit, outcome(&answer))
        .await?;
    let charged = answer?;
    if charged.settles_later {
        settlements.watch(charge);
        return Ok(Deposited::Pending(deposit));
    }
    Ok(Deposited::Credited(deposit))
}

/// The answer to a retry of a kept deposit request: as the first one ended.
fn replayed(deposit: DepositId, outcome: Option<KeptOutcome>) -> Result<Deposited, DepositError> {
    match outcome {
        Some(KeptOutcome::Credited) => Ok(Deposited::Credited(deposit)),
        Some(KeptOutcome::Pending) => Ok(Deposited::Pending(deposit)),
        Some(KeptOutcome::Declined(code)) => Err(DepositError::Declined(Declined { code })),
        // The first request is still being decided (or a crash left it to start-up). A key
        // kept for a cash-out is scoped to that route and never found here.
        None | Some(KeptOutcome::CashedOut { .. }) => Err(DepositError::Refused(
            GatewayError::Command(crate::actors::messages::CommandError::Reject(
                crate::domain::reject::Reject::DepositInProgress,
            )),
        )),
    }
}

/// The outcome to journal for a processor's answer.
fn outcome(answer: &Result<Charged, Declined>) -> DepositOutcome {
    match answer {
        Ok(charged) if charged.settles_later => DepositOutcome::Pending(charged.reference.clone()),
        Ok(charged) => DepositOutcome::Charged(charged.reference.clone()),
        Err(declined) => DepositOutcome::Declined(declined.code.clone()),
    }
}

/// Calls the processor and counts its answer.
fn charge_once(processor: &dyn PaymentProcessor, charge: &Charge) -> Result<Charged, Declined> {
    let answer = processor.charge(charge);
    let (charges, step) = match &answer {
        Ok(charged) if charged.settles_later => ("accepted", "accepted"),
        Ok(_) => ("approved", "credited"),
        Err(_) => ("declined", "failed"),
    };
    metrics::counter!(crate::metrics::PAYMENT_CHARGES, "outcome" => charges).increment(1);
    metrics::counter!(crate::metrics::DEPOSITS, "step" => step).increment(1);
    answer
}

/// Resolves deposits a crash left open: a started one is charged again with the same key
/// (which charges nothing more if the first call charged) and its answer journaled; an
/// accepted bank debit is handed to `settlements` to watch. Answers how many started ones
/// were resolved. A deposit that cannot be resolved now (a fault) is logged and stays open
/// for the next start.
pub async fn resolve_open_deposits(
    registry: &Registry,
    processor: &dyn PaymentProcessor,
    settlements: &Settlements,
    open: &[(AccountId, DepositId)],
) -> u64 {
    let mut resolved: u64 = 0;
    let mut accounts: Vec<AccountId> = open.iter().map(|(account, _)| *account).collect();
    accounts.sort_unstable();
    accounts.dedup();
    for account in accounts {
        let deposits = match registry.open_deposits(account).await {
            Ok(deposits) => deposits,
            Err(error) => {
                tracing::error!(%account, %error, "open deposits cannot be read");
                continue;
            }
        };
        let charge = |deposit: DepositId, started: crate::domain::account::PendingDeposit| Charge {
            key: deposit,
            account,
            method: started.method,
            amount: started.amount,
            currency: started.currency,
            started_at: started.started_at,
        };
        for (deposit, unsettled) in deposits.unsettled {
            settlements.watch(charge(deposit, unsettled));
        }
        for (deposit, started) in deposits.started {
            let charge = charge(deposit, started);
            let answer = charge_once(processor, &charge);
            match registry
                .finish_deposit(account, deposit, outcome(&answer))
                .await
            {
                Ok(_) => {
                    resolved = resolved.saturating_add(1);
                    metrics::counter!(crate::metrics::DEPOSITS, "step" => "resolved_at_start")
                        .increment(1);
                    tracing::info!(%account, %deposit, "an unfinished deposit was resolved");
                    if answer.is_ok_and(|charged| charged.settles_later) {
                        settlements.watch(charge);
                    }
                }
                Err(error) => {
                    tracing::error!(%account, %deposit, %error, "an open deposit stays open");
                }
            }
        }
    }
    resolved
}
