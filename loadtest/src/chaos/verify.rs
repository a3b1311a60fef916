//! After the restart: read back every member and the purchases to check, over several
//! connections, and hand what was found to the ledger. Reading only: the re-authorize of owned
//! content charges nothing, which is itself checked.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use hyper::Method;
use hyper::header::HeaderValue;
use serde::Deserialize;

use super::api::{Api, Reply};
use super::ledger::{MemberProbe, PurchaseProbe};
use super::traffic::Owned;
use crate::money;
use crate::setup::Fixture;
use crate::target::Target;

/// `GET /admin/v1/members/{id}`, the parts the check reads.
#[derive(Deserialize)]
struct Account {
    wallets: Vec<Wallet>,
    entitlement_count: u64,
}

#[derive(Deserialize)]
struct Wallet {
    currency: String,
    /// The paid balance.
    paid: String,
}

/// `GET /v1/authorizations/{id}`, the parts the check reads.
#[derive(Deserialize)]
struct AuthorizationView {
    status: String,
    charged: String,
    entitlement: AuthorizationEntitlement,
}

#[derive(Deserialize)]
struct AuthorizationEntitlement {
    views_allowed: Option<u32>,
}

/// A re-authorize reply, the parts the check reads.
#[derive(Deserialize)]
struct Reauthorized {
    charged: String,
    already_owned: bool,
    entitlement: ReauthorizedEntitlement,
}

#[derive(Deserialize)]
struct ReauthorizedEntitlement {
    views_left: Option<u32>,
}

/// A purchase to probe.
#[derive(Clone)]
pub struct PurchaseJob {
    /// Its index in the ledger.
    pub index: usize,
    /// What was bought.
    pub owned: Owned,
    /// Its authorization id.
    pub authorization_id: String,
}

/// Reads every member's balance and entitlement count, `connections` at a time.
///
/// # Errors
/// A read that got no 200 or an unreadable reply: the server must answer after a restart.
pub async fn members(
    target: &Target,
    fixture: &Arc<Fixture>,
    admin: &HeaderValue,
    currency: &str,
    connections: usize,
) -> Result<Vec<(usize, MemberProbe)>> {
    let lanes = connections.clamp(1, fixture.members.max(1));
    let mut tasks = Vec::with_capacity(lanes);
    for lane in 0..lanes {
        let (target, fixture, admin) = (target.clone(), Arc::clone(fixture), admin.clone());
        let currency = currency.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut api = Api::new(target);
            let mut found = Vec::new();
            for (member, id) in fixture
                .member_ids
                .iter()
                .enumerate()
                .skip(lane)
                .step_by(lanes)
            {
                let path = format!("/admin/v1/members/{id}");
                let body = success(
                    api.call::<()>(Method::GET, &path, &admin, None, None).await,
                    &path,
                )?;
                let account: Account = serde_json::from_slice(&body)
                    .with_context(|| format!("GET {path}: an unreadable account"))?;
                let Some(wallet) = account.wallets.iter().find(|w| w.currency == currency) else {
                    bail!("GET {path}: no {currency} wallet");
                };
                found.push((
                    member,
                    MemberProbe {
                        balance: money::parse_micros(&wallet.paid)?,
                        entitlements: account.entitlement_count,
                    },
                ));
            }
            anyhow::Ok(found)
        }));
    }
    let mut all = Vec::with_capacity(fixture.members);
    for task in tasks {
        all.extend(task.await.context("a member reader panicked")??);
    }
    Ok(all)
}

/// Probes each purchase: the authorization is found with its price and views, and buying the
/// content again answers already owned, charged nothing, with the views left.
///
/// # Errors
/// A request that got no reply at all, or a 5xx: the server must answer after a restart.
pub async fn purchases(
    target: &Target,
    fixture: &Arc<Fixture>,
    currency: &str,
    jobs: Vec<PurchaseJob>,
    connections: usize,
) -> Result<Vec<(usize, PurchaseProbe)>> {
    let jobs = Arc::new(jobs);
    let lanes = connections.clamp(1, jobs.len().max(1));
    let mut tasks = Vec::with_capacity(lanes);
    for lane in 0..lanes {
        let (target, fixture, jobs) = (target.clone(), Arc::clone(fixture), Arc::clone(&jobs));
        let currency = currency.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut api = Api::new(target);
            let mut found = Vec::new();
            for job in jobs.iter().skip(lane).step_by(lanes) {
                let probe = probe_purchase(&mut api, &fixture, &currency, job).await?;
                found.push((job.index, probe));
            }
            anyhow::Ok(found)
        }));
    }
    let mut all = Vec::with_capacity(jobs.len());
    for task in tasks {
        all.extend(task.await.context("a purchase prober panicked")??);
    }
    Ok(all)
}

async fn probe_purchase(
    api: &mut Api,
    fixture: &Fixture,
    currency: &str,
    job: &PurchaseJob,
) -> Result<PurchaseProbe> {
    let owned = &job.owned;
    let Some(vendor) = fixture.vendors.get(owned.vendor) else {
        bail!("vendor index {} out of range", owned.vendor);
    };
    let lost = |detail: String| PurchaseProbe {
        found: false,
        owned: false,
        views_left: None,
        charged_again: None,
        detail: Some(detail),
    };
    let path = format!("/v1/authorizations/{}", job.authorization_id);
    let body = match api
        .call::<()>(Method::GET, &path, &vendor.authorization, None, None)
        .await
    {
        Reply::Success(_, body) => body,
        Reply::Refused(status, body) => {
            return Ok(lost(format!(
                "GET {path} answered {status}: {}",
                crate::client::excerpt(&body, 200)
            )));
        }
        other => bail!("GET {path}: {other:?}"),
    };
    let Ok(view) = serde_json::from_slice::<AuthorizationView>(&body) else {
        return Ok(lost(format!(
            "GET {path}: {}",
            crate::client::excerpt(&body, 200)
        )));
    };
    let charged = money::parse_micros(&view.charged).ok();
    if view.status != "authorized"
        || charged != Some(owned.price)
        || view.entitlement.views_allowed != owned.views
    {
        return Ok(lost(format!(
            "GET {path}: status {}, charged {}, views {:?}; sent {} with views {:?}",
            view.status,
            view.charged,
            view.entitlement.views_allowed,
            money::format_micros(owned.price),
            owned.views
        )));
    }
    let Some(buyer_token) = fixture.buyer_token(owned.member, owned.vendor) else {
        bail!("no buyer token for member {}", owned.member);
    };
    let mut body = serde_json::json!({
        "buyer_token": buyer_token,
        "price": money::format_micros(owned.price),
        "currency": currency,
        "content_url": owned.content_url,
        "title": "chaos",
    });
    if let (Some(views), Some(map)) = (owned.views, body.as_object_mut()) {
        map.insert("views".to_owned(), views.into());
    }
    let reply = api
        .call(
            Method::POST,
            "/v1/authorize",
            &vendor.authorization,
            Some(&body),
            None,
        )
        .await;
    let bytes = match reply {
        Reply::Success(_, bytes) => bytes,
        Reply::Refused(status, bytes) => {
            return Ok(PurchaseProbe {
                found: true,
                owned: false,
                views_left: None,
                charged_again: None,
                detail: Some(format!(
                    "buying it again answered {status}: {}",
                    crate::client::excerpt(&bytes, 200)
                )),
            });
        }
        other => bail!("re-authorize of {}: {other:?}", owned.content_url),
    };
    let parsed = serde_json::from_slice::<Reauthorized>(&bytes).ok();
    match parsed {
        Some(again)
            if again.already_owned && money::parse_micros(&again.charged).ok() == Some(0) =>
        {
            Ok(PurchaseProbe {
                found: true,
                owned: true,
                views_left: again.entitlement.views_left,
                charged_again: None,
                detail: None,
            })
        }
        _ => Ok(PurchaseProbe {
            found: true,
            owned: false,
            views_left: None,
            // Bought anew: the ledger books the charge, so one loss is reported once.
            charged_again: parsed
                .as_ref()
                .and_then(|again| money::parse_micros(&again.charged).ok())
                .filter(|charged| *charged != 0),
            detail: Some(format!(
                "buying it again answered {}",
                crate::client::excerpt(&bytes, 200)
            )),
        }),
    }
}

/// The body of a 2xx, or an error naming `path`.
fn success(reply: Reply, path: &str) -> Result<bytes::Bytes> {
    match reply {
        Reply::Success(_, body) => Ok(body),
        other => bail!("GET {path}: {other:?}"),
    }
}
