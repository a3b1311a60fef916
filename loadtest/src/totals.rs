//! After the load: the conservation check on `GET /admin/v1/totals`, and the server's own
//! latency histograms from `GET /metrics`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use hyper::Method;
use serde::Deserialize;

use crate::client::{self, Conn};
use crate::money;
use crate::target::Target;

/// How long to wait for the vendor aggregates to catch up with the debits.
pub const CONSERVATION_WAIT_MAX: Duration = Duration::from_secs(10);
/// Pause between two totals polls.
pub const CONSERVATION_POLL: Duration = Duration::from_millis(200);
/// Longest wait for one totals or metrics call.
pub const ADMIN_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest totals or metrics body read.
pub const READ_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Most metric lines kept in the report.
pub const METRIC_LINES_MAX: usize = 5_000;
/// Metric name prefixes copied into the report.
pub const METRIC_PREFIXES: [&str; 2] = ["farthing_authorize_", "farthing_journal_"];

/// `GET /admin/v1/totals`.
#[derive(Deserialize)]
struct Totals {
    conserved: bool,
    currencies: Vec<CurrencyTotals>,
}

fn zero() -> String {
    "0".to_owned()
}

/// One currency's totals; amounts are decimal strings.
#[derive(Deserialize)]
struct CurrencyTotals {
    currency: String,
    deposits: String,
    /// Bank debits returned after they were credited (absent from older servers: none).
    #[serde(default = "zero")]
    deposits_returned: String,
    member_balances: String,
    /// What members owe (absent from older servers: none).
    #[serde(default = "zero")]
    member_debts: String,
    /// Paid out by cash-outs (absent from older servers: none).
    #[serde(default = "zero")]
    cash_outs: String,
    /// Cash-out charges kept (absent from older servers: none).
    #[serde(default = "zero")]
    cash_out_charges: String,
    /// Transfers sent and not yet received (absent from older servers: none).
    #[serde(default = "zero")]
    transfers_in_transit: String,
    /// Incentives spent, MSP-funded and vendor-funded (absent from older servers: none).
    #[serde(default = "zero")]
    incentives_spent_msp: String,
    #[serde(default = "zero")]
    incentives_spent_vendors: String,
    vendor_gross: String,
    fees: String,
    net_payable: String,
}

/// Checks a totals body: `conserved` is true, and per currency, in integer micro-units,
/// `deposits - deposits_returned - cash_outs == member_balances + transfers_in_transit -
/// member_debts + vendor_gross - incentives_spent_msp - incentives_spent_vendors +
/// cash_out_charges` and `vendor_gross == fees + net_payable + incentives_spent_vendors` (a
/// vendor is not paid for its own incentives).
///
/// # Errors
/// The body does not parse, or a check fails; the message says which.
pub fn check_totals(body: &[u8]) -> Result<()> {
    let totals: Totals = serde_json::from_slice(body)
        .with_context(|| format!("totals reply: {}", client::excerpt(body, 200)))?;
    ensure!(!totals.currencies.is_empty(), "totals list no currency");
    for currency in &totals.currencies {
        let amount = |name: &str, text: &str| {
            money::parse_micros(text).with_context(|| format!("{} {name}", currency.currency))
        };
        let deposits = amount("deposits", &currency.deposits)?;
        let returned = amount("deposits_returned", &currency.deposits_returned)?;
        let balances = amount("member_balances", &currency.member_balances)?;
        let debts = amount("member_debts", &currency.member_debts)?;
        let cash_outs = amount("cash_outs", &currency.cash_outs)?;
        let charges = amount("cash_out_charges", &currency.cash_out_charges)?;
        let in_transit = amount("transfers_in_transit", &currency.transfers_in_transit)?;
        let by_msp = amount("incentives_spent_msp", &currency.incentives_spent_msp)?;
        let by_vendors = amount(
            "incentives_spent_vendors",
            &currency.incentives_spent_vendors,
        )?;
        let gross = amount("vendor_gross", &currency.vendor_gross)?;
        let fees = amount("fees", &currency.fees)?;
        let net = amount("net_payable", &currency.net_payable)?;
        let paid_by_members = gross - by_msp - by_vendors;
        if deposits - returned - cash_outs
            != balances + in_transit - debts + paid_by_members + charges
        {
            bail!(
                "{}: deposits {} - returned {} - cash_outs {} != member_balances {} + \
                 transfers_in_transit {} - member_debts {} + vendor_gross {} - incentives spent \
                 {} and {} + cash_out_charges {}",
                currency.currency,
                currency.deposits,
                currency.deposits_returned,
                currency.cash_outs,
                currency.member_balances,
                currency.transfers_in_transit,
                currency.member_debts,
                currency.vendor_gross,
                currency.incentives_spent_msp,
                currency.incentives_spent_vendors,
                currency.cash_out_charges
            );
        }
        if gross != fees + net + by_vendors {
            bail!(
                "{}: vendor_gross {} != fees {} + net_payable {} + incentives_spent_vendors {}",
                currency.currency,
                currency.vendor_gross,
                currency.fees,
                currency.net_payable,
                currency.incentives_spent_vendors
            );
        }
    }
    ensure!(totals.conserved, "the server says conserved: false");
    Ok(())
}

/// Polls totals until they are conserved or `CONSERVATION_WAIT_MAX` passes; prints why not.
pub async fn await_conservation(target: &Target, admin_key: &str) -> bool {
    let started = Instant::now();
    let mut last_problem = String::new();
    let polls_max = CONSERVATION_WAIT_MAX.as_millis() / CONSERVATION_POLL.as_millis() + 1;
    for _ in 0..polls_max {
        match get(target, admin_key, "/admin/v1/totals")
            .await
            .and_then(|body| check_totals(&body))
        {
            Ok(()) => return true,
            Err(error) => last_problem = format!("{error:#}"),
        }
        if started.elapsed() >= CONSERVATION_WAIT_MAX {
            break;
        }
        tokio::time::sleep(CONSERVATION_POLL).await;
    }
    eprintln!("conservation: NOT conserved after {CONSERVATION_WAIT_MAX:?}: {last_problem}");
    false
}

/// The `farthing_authorize_*` and `farthing_journal_*` lines of `GET /metrics`; empty (with a
/// warning) if the scrape fails, since the load numbers stand without them.
pub async fn scrape_metrics(target: &Target, admin_key: &str) -> Vec<String> {
    match get(target, admin_key, "/metrics").await {
        Ok(body) => metric_lines(&String::from_utf8_lossy(&body)),
        Err(error) => {
            eprintln!("metrics: not scraped: {error:#}");
            Vec::new()
        }
    }
}

/// Keeps sample lines whose metric name starts with one of `METRIC_PREFIXES`.
pub fn metric_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| {
            METRIC_PREFIXES
                .iter()
                .any(|prefix| line.starts_with(prefix))
        })
        .take(METRIC_LINES_MAX)
        .map(str::to_owned)
        .collect()
}

/// GETs `path` with the admin bearer; the body of a 2xx reply.
async fn get(target: &Target, admin_key: &str, path: &str) -> Result<bytes::Bytes> {
    let admin = client::bearer(admin_key)?;
    let mut conn = Conn::connect(target.addr).await?;
    let request = client::request(Method::GET, &target.host, path, Some(&admin), None)?;
    let (status, body) = conn
        .send(request, ADMIN_READ_TIMEOUT, READ_BODY_BYTES_MAX)
        .await
        .with_context(|| format!("GET {path}"))?;
    if !status.is_success() {
        bail!(
            "GET {path} answered {status}: {}",
            client::excerpt(&body, 300)
        );
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(
        conserved: bool,
        deposits: &str,
        balances: &str,
        gross: &str,
        fees: &str,
        net: &str,
    ) -> Vec<u8> {
        serde_json::json!({
            "conserved": conserved,
            "currencies": [{
                "currency": "USD", "deposits": deposits, "reversals": "0.00",
                "member_balances": balances, "vendor_gross": gross, "fees": fees,
                "net_payable": net
            }]
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn conservation_is_checked_exactly() {
        check_totals(&totals(true, "1000.00", "999.70", "0.30", "0.015", "0.285")).unwrap();
        // One micro-unit off in either equation fails.
        assert!(
            check_totals(&totals(
                true,
                "1000.00",
                "999.700001",
                "0.30",
                "0.015",
                "0.285"
            ))
            .is_err()
        );
        assert!(
            check_totals(&totals(
                true, "1000.00", "999.70", "0.30", "0.015", "0.284999"
            ))
            .is_err()
        );
        // The server's own verdict is required too.
        assert!(
            check_totals(&totals(
                false, "1000.00", "999.70", "0.30", "0.015", "0.285"
            ))
            .is_err()
        );
        assert!(
            check_totals(&totals(true, "1000.00", "999.7x", "0.30", "0.015", "0.285")).is_err()
        );
        assert!(check_totals(br#"{"conserved":true,"currencies":[]}"#).is_err());
    }

    #[test]
    fn keeps_only_the_named_metric_lines() {
        let text = "# HELP farthing_authorize_latency_us x\n\
                    # TYPE farthing_authorize_latency_us summary\n\
                    farthing_authorize_latency_us{quantile=\"0.99\"} 812\n\
                    farthing_journal_fsync_us_count 42\n\
                    farthing_http_requests_total 9\n";
        assert_eq!(
            metric_lines(text),
            vec![
                "farthing_authorize_latency_us{quantile=\"0.99\"} 812",
                "farthing_journal_fsync_us_count 42"
            ]
        );
    }
}
