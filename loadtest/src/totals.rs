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
    /// What vendors earned: gross − fees − royalties − own incentives + commissions.
    net_payable: String,
    /// Commissions, royalties and payouts (absent from older servers: none).
    #[serde(default = "zero")]
    commissions: String,
    #[serde(default = "zero")]
    royalties: String,
    #[serde(default = "zero")]
    payouts_vendors: String,
    #[serde(default = "zero")]
    payouts_rights_holders: String,
    /// The server's own sums of the owed terms, checked against ours when present.
    vendors_unsettled: Option<String>,
    rights_holders_unsettled: Option<String>,
    msp_equity: Option<String>,
}

/// Checks a totals body: `conserved` is true, and per currency, in integer micro-units, the
/// identity of DESIGN §2: `deposits - deposits_returned - cash_outs - payouts ==
/// member_balances + transfers_in_transit - member_debts + vendors_unsettled +
/// rights_holders_unsettled + msp_equity`, where `vendors_unsettled = net_payable -
/// payouts_vendors`, `rights_holders_unsettled = royalties - payouts_rights_holders` and
/// `msp_equity = fees + cash_out_charges - commissions - incentives_spent_msp`; and the
/// vendors' side `net_payable == vendor_gross - fees - royalties - incentives_spent_vendors +
/// commissions` (a vendor is not paid for its own incentives). The server's own owed terms,
/// when it shows them, must equal these.
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
        let commissions = amount("commissions", &currency.commissions)?;
        let royalties = amount("royalties", &currency.royalties)?;
        let paid_vendors = amount("payouts_vendors", &currency.payouts_vendors)?;
        let paid_holders = amount("payouts_rights_holders", &currency.payouts_rights_holders)?;
        let vendors_unsettled = net - paid_vendors;
        let holders_unsettled = royalties - paid_holders;
        let equity = fees + charges - commissions - by_msp;
        for (name, shown, ours) in [
            (
                "vendors_unsettled",
                &currency.vendors_unsettled,
                vendors_unsettled,
            ),
            (
                "rights_holders_unsettled",
                &currency.rights_holders_unsettled,
                holders_unsettled,
            ),
            ("msp_equity", &currency.msp_equity, equity),
        ] {
            if let Some(shown) = shown {
                let shown = amount(name, shown)?;
                ensure!(
                    shown == ours,
                    "{}: {name} {shown} µ shown, {ours} µ from the other terms",
                    currency.currency
                );
            }
        }
        let cash = deposits - returned - cash_outs - paid_vendors - paid_holders;
        let owed = balances + in_transit - debts + vendors_unsettled + holders_unsettled + equity;
        if cash != owed {
            bail!(
                "{}: deposits {} - returned {} - cash_outs {} - payouts {} and {} != \
                 member_balances {} + transfers_in_transit {} - member_debts {} + vendors \
                 unsettled {vendors_unsettled} µ + rights holders unsettled {holders_unsettled} \
                 µ + MSP equity {equity} µ",
                currency.currency,
                currency.deposits,
                currency.deposits_returned,
                currency.cash_outs,
                currency.payouts_vendors,
                currency.payouts_rights_holders,
                currency.member_balances,
                currency.transfers_in_transit,
                currency.member_debts,
            );
        }
        if net != gross - fees - royalties - by_vendors + commissions {
            bail!(
                "{}: net_payable {} != vendor_gross {} - fees {} - royalties {} - \
                 incentives_spent_vendors {} + commissions {}",
                currency.currency,
                currency.net_payable,
                currency.vendor_gross,
                currency.fees,
                currency.royalties,
                currency.incentives_spent_vendors,
                currency.commissions
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
    fn payouts_royalties_and_commissions_enter_the_identity() {
        // 10.00 sold: fee 0.50, royalties 1.00, commission 0.20 to a referrer; 5.00 paid out
        // to vendors and 1.00 to rights holders.
        let body = |equity: &str, paid_vendors: &str| {
            serde_json::json!({
                "conserved": true,
                "currencies": [{
                    "currency": "USD", "deposits": "100.00", "member_balances": "90.00",
                    "vendor_gross": "10.00", "fees": "0.50", "royalties": "1.00",
                    "commissions": "0.20", "net_payable": "8.70",
                    "payouts_vendors": paid_vendors, "payouts_rights_holders": "1.00",
                    "vendors_unsettled": "3.70", "rights_holders_unsettled": "0.00",
                    "msp_equity": equity
                }]
            })
            .to_string()
            .into_bytes()
        };
        check_totals(&body("0.30", "5.00")).unwrap();
        // The server's equity disagrees with its own terms.
        assert!(check_totals(&body("0.31", "5.00")).is_err());
        // A payout the server counted but the cash did not see.
        assert!(check_totals(&body("0.30", "5.01")).is_err());
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
