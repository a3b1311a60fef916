//! Transfers between members ([0272]-[0273]): two actors, one exactly-once move of money.
//!
//! The sender's account journals `TransferSent` (the money leaves its wallet and is in
//! transit); only then is the recipient's account asked to journal `TransferReceived`. The
//! journal, not memory, carries the transfer across: the feed keeps every transfer sent and
//! not received (and checkpoints them), so a transfer whose delivery failed or was cut off by
//! a crash is delivered again by [`watch`] or at start-up ([`deliver_open`]). The recipient
//! remembers what it received, so a second delivery credits nothing. Money is never created
//! or lost in between: the totals count it as in transit.

use std::sync::Arc;
use std::time::Duration;

use crate::actors::gateway::GatewayError;
use crate::actors::registry::Registry;
use crate::domain::event::InTransit;
use crate::domain::time::Timestamp;
use crate::metrics as names;

/// Delivers one sent transfer to its recipient; true when this call credited it (false: it
/// was received before).
///
/// # Errors
/// `GatewayError` when it could not land now (it stays in transit for the watcher).
pub async fn deliver(registry: &Registry, sent: InTransit) -> Result<bool, GatewayError> {
    let transfer = sent.transfer;
    let credited = registry.receive_transfer(sent).await?;
    if credited {
        metrics::counter!(names::TRANSFERS, "step" => "received").increment(1);
        tracing::debug!(%transfer, "transfer received");
    }
    Ok(credited)
}

/// Delivers every transfer still in transit that was sent at or before `sent_by` (all of
/// them at start-up; the watcher leaves the newest to their first delivery). Answers how
/// many landed now. One that cannot land is logged and stays in transit.
pub async fn deliver_open(registry: &Registry, open: Vec<InTransit>, sent_by: Timestamp) -> u64 {
    let mut landed: u64 = 0;
    for sent in open.into_iter().filter(|sent| sent.sent_at <= sent_by) {
        let transfer = sent.transfer;
        match deliver(registry, sent).await {
            Ok(true) => {
                landed = landed.saturating_add(1);
                metrics::counter!(names::TRANSFERS, "step" => "redelivered").increment(1);
                tracing::info!(%transfer, "a transfer left in transit was received");
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(%transfer, %error, "a transfer stays in transit"),
        }
    }
    landed
}

/// Every `interval`, delivers the transfers that have been in transit for longer than
/// `interval` (their first delivery failed: a recipient's full mailbox, a fault). Runs for as
/// long as the actor system does.
pub async fn watch(registry: Arc<Registry>, interval: Duration, now: impl Fn() -> Timestamp) {
    let grace_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
    loop {
        tokio::time::sleep(interval).await;
        let open = registry.feed().open_transfers();
        let count = u32::try_from(open.len()).unwrap_or(u32::MAX);
        metrics::gauge!(names::TRANSFERS_IN_TRANSIT).set(f64::from(count));
        if open.is_empty() {
            continue;
        }
        let sent_by = now().minus_ms(grace_ms);
        deliver_open(&registry, open, sent_by).await;
    }
}
