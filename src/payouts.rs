//! Settlement runs at the edge ([0152], [0205]-[0208], [0252]-[0254]): gathering what each
//! payee earned, asking the settlement actor to journal the run's payouts, and writing the
//! run's payment file into the outbox.
//!
//! The order is what makes a run crash-safe and idempotent:
//! 1. the run and its payouts are journaled (`RunStarted`): from here they count as paid;
//! 2. `<run_id>.xml` is written to a temporary file, fsynced, renamed into place, and the
//!    directory fsynced;
//! 3. `RunFinished` is journaled.
//!
//! A crash after 1 leaves the run open: start-up ([`Payouts::resume`]) writes its file again
//! from the journaled payouts (same run id, same content) and finishes it. It is never
//! decided again, so no payee is paid twice, and no journaled payout is left without its file.
//! One run at a time: a lock here, and the actor refuses a run while one is open.
//!
//! Bank details are sealed with the bank-data key before they reach the journal and opened
//! only here, to write a file.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::actors::gateway::GatewayError;
use crate::actors::registry::Registry;
use crate::actors::settlement::SettlementCommand;
use crate::crypto::DataKey;
use crate::domain::bank::BankAccount;
use crate::domain::fees::utc_date;
use crate::domain::ids::{PayoutId, SettlementRunId};
use crate::domain::money::{Currency, NetTotal};
use crate::domain::payouts::{
    PAYOUTS_PER_RUN_MAX, Payee, Payout, RunScope, SealedBank, SettlementEvent,
};
use crate::domain::time::Timestamp;
use crate::metrics as names;
use crate::payments::pain001::{CreditTransfer, Debtor, PaymentFile, credit_transfer_document};

/// A run could not be made or finished.
#[derive(Debug, thiserror::Error)]
pub enum PayoutError {
    /// The actors refused or failed.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The payment file could not be built or written; the run stays open and is finished
    /// at the next attempt or start-up.
    #[error("the payment file could not be written: {0}")]
    File(String),
}

/// What a run did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOutcome {
    /// The run.
    pub run: SettlementRunId,
    /// Its payouts.
    pub payouts: Vec<Payout>,
    /// Its payment file's name (none for a run without payouts).
    pub file: Option<String>,
    /// When it started.
    pub at: Timestamp,
}

/// The edge of settlement: the bank-data key, the outbox and the MSP's own account.
pub struct Payouts {
    key: DataKey,
    outbox: PathBuf,
    debtor: Debtor,
    running: tokio::sync::Mutex<()>,
}

impl Payouts {
    /// Payouts sealed with `key`, files into `outbox`, debiting `debtor`.
    #[must_use]
    pub fn new(key: DataKey, outbox: PathBuf, debtor: &BankAccount) -> Payouts {
        Payouts {
            key,
            outbox,
            debtor: Debtor {
                name: debtor.name.clone(),
                iban: debtor.iban.clone(),
                bic: debtor.bic.clone(),
            },
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// Where payment files go.
    #[must_use]
    pub fn outbox(&self) -> &Path {
        &self.outbox
    }

    /// Seals bank details for the journal, with their masked form.
    #[must_use]
    pub fn seal(&self, bank: &BankAccount) -> SealedBank {
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(bank).unwrap_or_default());
        SealedBank {
            sealed: self.key.seal(&plain, &mut rand::rngs::OsRng),
            masked: bank.masked(),
        }
    }

    fn open(&self, sealed: &SealedBank) -> Result<BankAccount, PayoutError> {
        let plain = self.key.open(&sealed.sealed).ok_or_else(|| {
            PayoutError::File("bank details do not open under the bank-data key".to_owned())
        })?;
        serde_json::from_slice(&plain)
            .map_err(|_| PayoutError::File("sealed bank details do not read".to_owned()))
    }

    /// Runs settlement now: finishes a run a crash left open, then decides, journals and
    /// files a new one (`None`: a `quiet` run, the tick's, found nothing to do and recorded
    /// nothing).
    ///
    /// # Errors
    /// `PayoutError`: the actors refused (`SettlementRunInProgress`) or failed, or the file
    /// could not be written (the run then stays open and is finished later).
    pub async fn run(
        &self,
        registry: &Registry,
        scope: RunScope,
        run: SettlementRunId,
        quiet: bool,
        now: Timestamp,
    ) -> Result<Option<RunOutcome>, PayoutError> {
        let _one_at_a_time = self.running.lock().await;
        self.finish_open(registry).await?;
        let earned = earned(registry, now).await?;
        let ids: Vec<PayoutId> = (0..earned.len().min(PAYOUTS_PER_RUN_MAX))
            .map(|_| PayoutId(crate::http::app::new_id()))
            .collect();
        let Some(started) = registry
            .start_settlement_run(run, earned, scope, ids, quiet)
            .await?
        else {
            return Ok(None);
        };
        let SettlementEvent::RunStarted {
            run, payouts, at, ..
        } = started
        else {
            return Err(PayoutError::File(
                "the actor answered another event".to_owned(),
            ));
        };
        metrics::counter!(names::SETTLEMENT_RUNS).increment(1);
        metrics::counter!(names::PAYOUTS).increment(u64::try_from(payouts.len()).unwrap_or(0));
        self.finish(registry, run, payouts, at).await.map(Some)
    }

    /// Finishes a run a crash left open (its file written again from the journal); `None`
    /// when none was open.
    ///
    /// # Errors
    /// As [`Payouts::run`].
    pub async fn resume(&self, registry: &Registry) -> Result<Option<RunOutcome>, PayoutError> {
        let _one_at_a_time = self.running.lock().await;
        self.finish_open(registry).await
    }

    async fn finish_open(&self, registry: &Registry) -> Result<Option<RunOutcome>, PayoutError> {
        let settled = registry.settled();
        let Some(run) = settled.open_run.and_then(|run| settled.runs.get(&run)) else {
            return Ok(None);
        };
        let payouts: Vec<Payout> = run
            .payouts
            .iter()
            .filter_map(|id| settled.payout(*id).map(|record| record.payout.clone()))
            .collect();
        let (run, at) = (run.id, run.at);
        tracing::info!(%run, payouts = payouts.len(), "finishing a settlement run a stop left open");
        self.finish(registry, run, payouts, at).await.map(Some)
    }

    /// Writes a started run's payment file, then journals the run as finished.
    async fn finish(
        &self,
        registry: &Registry,
        run: SettlementRunId,
        payouts: Vec<Payout>,
        at: Timestamp,
    ) -> Result<RunOutcome, PayoutError> {
        let file = match self.payment_file(run, &payouts, at)? {
            Some((name, document)) => {
                // fsync waits on the disk: off the actor or HTTP thread this runs on.
                let (dir, written) = (self.outbox.clone(), name.clone());
                tokio::task::spawn_blocking(move || {
                    write_durably(&dir, &written, document.as_bytes())
                })
                .await
                .map_err(|error| PayoutError::File(error.to_string()))?
                .map_err(|error| PayoutError::File(error.to_string()))?;
                Some(name)
            }
            None => None,
        };
        registry
            .settlement_command(SettlementCommand::Finish {
                run,
                file: file.clone(),
            })
            .await?;
        Ok(RunOutcome {
            run,
            payouts,
            file,
            at,
        })
    }

    /// The run's payment file, its name and text; `None` (no file) without payouts.
    fn payment_file(
        &self,
        run: SettlementRunId,
        payouts: &[Payout],
        at: Timestamp,
    ) -> Result<Option<(String, String)>, PayoutError> {
        let transfers = payouts
            .iter()
            .map(|payout| {
                Ok(CreditTransfer {
                    end_to_end_id: payout.id.to_string(),
                    creditor: self.open(&payout.bank)?,
                    amount: payout.amount,
                    currency: payout.currency,
                    remittance: format!("farthing settlement {run} for {}", payout.payee),
                })
            })
            .collect::<Result<Vec<_>, PayoutError>>()?;
        let message_id = run.to_string();
        let document = credit_transfer_document(&PaymentFile {
            message_id: &message_id,
            created_at: at,
            execution_date: utc_date(at),
            debtor: &self.debtor,
            transfers: &transfers,
        })
        .map_err(|error| PayoutError::File(error.to_string()))?;
        Ok(document.map(|document| (format!("{message_id}.xml"), document)))
    }
}

/// Writes `name` in `dir` so that a reader sees all of it or none: a temporary file, fsync,
/// rename, fsync of the directory. Writing the same name again replaces it whole.
fn write_durably(dir: &Path, name: &str, contents: &[u8]) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()
}

/// What every payee earned per currency as of `now`: each vendor's net, and each rights
/// holder's royalties summed over the vendors whose sales accrued them.
///
/// # Errors
/// Faults of the vendor actors.
pub async fn earned(
    registry: &Registry,
    now: Timestamp,
) -> Result<BTreeMap<(Payee, Currency), NetTotal>, GatewayError> {
    let mut earned: BTreeMap<(Payee, Currency), NetTotal> = BTreeMap::new();
    for view in registry.vendor_ledgers(now).await? {
        for (currency, figures) in &view.figures {
            earned.insert((Payee::Vendor(view.profile.id), *currency), figures.earned);
        }
        for (currency, holder, royalty) in &view.royalties {
            let sum = earned
                .entry((Payee::RightsHolder(*holder), *currency))
                .or_default();
            *sum = royalty
                .to_net()
                .and_then(|royalty| sum.checked_add(royalty))
                .unwrap_or(*sum);
        }
    }
    Ok(earned)
}

/// Every `interval`, runs settlement for whatever is due by each payee's own threshold,
/// schedule and minimum. A failed run is logged and tried again at the next tick.
pub async fn tick(
    registry: Arc<Registry>,
    payouts: Arc<Payouts>,
    interval: Duration,
    now: impl Fn() -> Timestamp,
) {
    loop {
        actix_rt::time::sleep(interval).await;
        let run = SettlementRunId(crate::http::app::new_id());
        match payouts
            .run(&registry, RunScope::default(), run, true, now())
            .await
        {
            Ok(Some(outcome)) if !outcome.payouts.is_empty() => {
                tracing::info!(%run, payouts = outcome.payouts.len(), "settlement run paid");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the settlement run failed; retried next tick"),
        }
    }
}
