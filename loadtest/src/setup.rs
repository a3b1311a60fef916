//! Seeding: create vendors, then members with deposits, sessions and buyer tokens, through the
//! admin API. Produces the `Fixture` the load workers draw from.

use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use hyper::Method;
use hyper::header::HeaderValue;
use serde::{Deserialize, Serialize};

use crate::client::{self, Conn};
use crate::target::Target;

/// Longest wait for one admin call (a bulk call seeds up to 10000 members).
pub const ADMIN_REQUEST_TIMEOUT: Duration = Duration::from_secs(300);
/// Members per bulk call: the server's own limit.
pub const BULK_MEMBERS_PER_CALL_MAX: u64 = 10_000;
/// Bulk calls in flight at once; more would only queue behind the server's WAL.
pub const BULK_CALLS_CONCURRENT_MAX: usize = 2;
/// Largest admin reply read (10000 members x 1000 vendors of tokens fits).
pub const ADMIN_BODY_BYTES_MAX: usize = 1 << 30;

/// One vendor as the load uses it.
pub struct VendorFixture {
    /// `Authorization: Bearer <api_key>`, marked sensitive.
    pub authorization: HeaderValue,
    /// Content domain the vendor registered; content URLs live under it.
    pub domain: String,
}

/// What the load draws from: vendors, and one buyer token per (member, vendor).
pub struct Fixture {
    /// Vendors in creation order.
    pub vendors: Vec<VendorFixture>,
    /// Number of members.
    pub members: usize,
    /// Member ids in seeding order, for admin calls (deposits, account views).
    pub member_ids: Vec<Box<str>>,
    /// Buyer tokens, member-major: token of member `m` at vendor `v` is at `m * vendors + v`.
    /// A flat vector of boxed strings keeps a million members at one allocation each.
    buyer_tokens: Vec<Box<str>>,
}

impl Fixture {
    /// Buyer token of `member` at `vendor`.
    pub fn buyer_token(&self, member: usize, vendor: usize) -> Option<&str> {
        let index = member
            .checked_mul(self.vendors.len())?
            .checked_add(vendor)?;
        self.buyer_tokens.get(index).map(AsRef::as_ref)
    }
}

/// A fixture for `--null` runs: one vendor, one member, tokens of realistic length.
///
/// # Errors
/// None in practice (the fixed header value is valid).
pub fn null_fixture(_target: &Target) -> Result<Fixture> {
    let token = format!("v1.k1.{}", "n".repeat(170));
    Ok(Fixture {
        vendors: vec![VendorFixture {
            authorization: client::bearer(&format!("fk_null_{}", "0".repeat(40)))?,
            domain: "v0.loadtest.example".to_owned(),
        }],
        members: 1,
        member_ids: vec!["acct_null".into()],
        buyer_tokens: vec![token.into_boxed_str()],
    })
}

/// Body of `POST /admin/v1/vendors`.
#[derive(Serialize)]
struct CreateVendor<'a> {
    name: String,
    currency: &'a str,
    content_domains: [&'a str; 1],
    fee_ppm: u32,
}

/// Reply of `POST /admin/v1/vendors`.
#[derive(Deserialize)]
struct VendorCreated {
    vendor_id: String,
    api_key: String,
}

/// Body of `POST /admin/v1/members/bulk`.
#[derive(Serialize)]
struct BulkMembers<'a> {
    count: u64,
    currency: &'a str,
    deposit: &'a str,
    vendor_ids: &'a [String],
}

/// Reply of `POST /admin/v1/members/bulk`.
#[derive(Deserialize)]
struct BulkMembersCreated {
    members: Vec<MemberCreated>,
}

/// One seeded member.
#[derive(Deserialize)]
struct MemberCreated {
    member_id: String,
    buyer_tokens: Vec<String>,
}

/// What to seed: counts and terms, validated by the caller (`RunPlan`, `ChaosPlan`).
pub struct SeedPlan<'a> {
    /// Members to seed.
    pub members: u64,
    /// Vendors to create.
    pub vendors: u64,
    /// ISO 4217 currency of vendors and deposits.
    pub currency: &'a str,
    /// Deposit funded into each member, a decimal string.
    pub deposit: &'a str,
    /// MSP fee of each vendor, in parts per million.
    pub fee_ppm: u32,
}

/// Seeds `plan.vendors` vendors and `plan.members` members on the target.
///
/// # Errors
/// Any admin call that fails or replies with an unexpected shape: a half-seeded server gives
/// meaningless load numbers, so setup stops at the first failure.
pub async fn seed(
    target: &Target,
    admin_key: &str,
    plan: &SeedPlan<'_>,
    run_tag: &str,
) -> Result<Fixture> {
    let admin = client::bearer(admin_key).context("the admin key")?;
    let mut conn = Conn::connect(target.addr)
        .await
        .context("connecting for setup")?;

    let vendor_count = usize::try_from(plan.vendors)?;
    let mut vendors = Vec::with_capacity(vendor_count);
    let mut vendor_ids = Vec::with_capacity(vendor_count);
    for index in 0..vendor_count {
        let domain = format!("v{index}-{run_tag}.loadtest.example");
        let body = CreateVendor {
            name: format!("loadtest {run_tag} vendor {index}"),
            currency: plan.currency,
            content_domains: [&domain],
            fee_ppm: plan.fee_ppm,
        };
        let created: VendorCreated =
            admin_call(&mut conn, target, &admin, "/admin/v1/vendors", &body).await?;
        vendors.push(VendorFixture {
            authorization: client::bearer(&created.api_key)?,
            domain,
        });
        vendor_ids.push(created.vendor_id);
    }

    let (member_ids, buyer_tokens) = seed_members(target, &admin, plan, &vendor_ids).await?;
    Ok(Fixture {
        vendors,
        members: usize::try_from(plan.members)?,
        member_ids,
        buyer_tokens,
    })
}

/// Seeds members in bulk calls of at most `BULK_MEMBERS_PER_CALL_MAX`, two calls in flight.
async fn seed_members(
    target: &Target,
    admin: &HeaderValue,
    plan: &SeedPlan<'_>,
    vendor_ids: &[String],
) -> Result<(Vec<Box<str>>, Vec<Box<str>>)> {
    let mut chunk_sizes = Vec::new();
    let mut remaining = plan.members;
    while remaining > 0 {
        let size = remaining.min(BULK_MEMBERS_PER_CALL_MAX);
        chunk_sizes.push(size);
        remaining -= size;
    }
    let chunk_count = chunk_sizes.len();

    let lane = |lane_index: usize| {
        let chunk_sizes = &chunk_sizes;
        async move {
            let mut conn = Conn::connect(target.addr)
                .await
                .context("connecting for setup")?;
            let mut done = Vec::new();
            for (chunk_index, size) in chunk_sizes.iter().enumerate() {
                if chunk_index % BULK_CALLS_CONCURRENT_MAX != lane_index {
                    continue;
                }
                let body = BulkMembers {
                    count: *size,
                    currency: plan.currency,
                    deposit: plan.deposit,
                    vendor_ids,
                };
                let created: BulkMembersCreated =
                    admin_call(&mut conn, target, admin, "/admin/v1/members/bulk", &body).await?;
                ensure!(
                    u64::try_from(created.members.len())? == *size,
                    "bulk call for {size} members returned {}",
                    created.members.len()
                );
                let mut tokens = Vec::with_capacity(created.members.len() * vendor_ids.len());
                let mut ids = Vec::with_capacity(created.members.len());
                for member in created.members {
                    ensure!(
                        member.buyer_tokens.len() == vendor_ids.len(),
                        "a member came back with {} buyer tokens for {} vendors",
                        member.buyer_tokens.len(),
                        vendor_ids.len()
                    );
                    ids.push(member.member_id.into_boxed_str());
                    tokens.extend(member.buyer_tokens.into_iter().map(String::into_boxed_str));
                }
                eprintln!(
                    "setup: members chunk {}/{chunk_count} seeded",
                    chunk_index + 1
                );
                done.push((chunk_index, ids, tokens));
            }
            anyhow::Ok(done)
        }
    };
    let (first, second) = tokio::try_join!(lane(0), lane(1))?;
    let mut chunks: Vec<_> = first.into_iter().chain(second).collect();
    chunks.sort_by_key(|(chunk_index, _, _)| *chunk_index);
    let mut member_ids = Vec::new();
    let mut buyer_tokens = Vec::new();
    for (_, ids, tokens) in chunks {
        member_ids.extend(ids);
        buyer_tokens.extend(tokens);
    }
    Ok((member_ids, buyer_tokens))
}

/// POSTs `body` to an admin `path` and decodes a 2xx JSON reply.
async fn admin_call<B: Serialize, R: for<'de> Deserialize<'de>>(
    conn: &mut Conn,
    target: &Target,
    admin: &HeaderValue,
    path: &str,
    body: &B,
) -> Result<R> {
    let request = client::request(
        Method::POST,
        &target.host,
        path,
        Some(admin),
        Some(serde_json::to_vec(body)?),
    )?;
    let (status, reply) = conn
        .send(request, ADMIN_REQUEST_TIMEOUT, ADMIN_BODY_BYTES_MAX)
        .await
        .with_context(|| format!("POST {path}"))?;
    if !status.is_success() {
        bail!(
            "POST {path} answered {status}: {}",
            client::excerpt(&reply, 500)
        );
    }
    serde_json::from_slice(&reply)
        .with_context(|| format!("POST {path} reply: {}", client::excerpt(&reply, 200)))
}
