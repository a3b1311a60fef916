//! `news-vendor`: runs the demo news site against a farthing server.
//!
//! Registers itself as a vendor (domains `127.0.0.1` and `localhost`) with the admin key, or
//! uses `--api-key`, then serves until Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use news_vendor::{NewsConfig, register_vendor, start};

/// Content domains the demo registers: the hosts a local browser uses for it.
const CONTENT_DOMAINS: [&str; 2] = ["127.0.0.1", "localhost"];

/// Command line.
#[derive(Debug, Parser)]
#[command(version, about = "Demo news site that sells articles through farthing")]
struct Args {
    /// farthing's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    farthing: String,
    /// File holding farthing's admin key, used to register this vendor.
    #[arg(long, default_value = "data/admin.key")]
    admin_key_file: PathBuf,
    /// An existing vendor API key; skips registration (the admin key is then not read).
    #[arg(long)]
    api_key: Option<String>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Vendor name shown in farthing's buy window.
    #[arg(long, default_value = "The Daily Farthing")]
    name: String,
    /// Base URL browsers use for this site (default `http://<listen address>`); its host must
    /// be 127.0.0.1 or localhost, the registered domains.
    #[arg(long)]
    public_url: Option<String>,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let api_key = match args.api_key {
        Some(key) => key,
        None => {
            let admin_key = std::fs::read_to_string(&args.admin_key_file).with_context(|| {
                format!("reading the admin key {}", args.admin_key_file.display())
            })?;
            let key = register_vendor(
                &args.farthing,
                admin_key.trim(),
                &args.name,
                &CONTENT_DOMAINS,
            )
            .await
            .with_context(|| format!("registering the vendor at {}", args.farthing))?;
            println!(
                "Registered \"{}\" at {} (a new vendor each start).",
                args.name, args.farthing
            );
            key
        }
    };
    let vendor = start(NewsConfig {
        listen: args.listen,
        farthing_url: args.farthing,
        api_key,
        public_url: args.public_url,
    })
    .with_context(|| format!("starting the news site on {}", args.listen))?;
    println!(
        "The Daily Farthing is open: {}/  (Ctrl-C to stop)",
        vendor.base_url()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    println!("Stopping.");
    vendor.shutdown().await;
    Ok(())
}
