//! The server under test as a child process: started on 127.0.0.1 with an ephemeral port,
//! killed with SIGKILL, stopped with SIGTERM, and checked offline with `farthing check`.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hyper::Method;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::client::{self, Conn};
use crate::target::{self, Target};

/// Longest wait for a started server to print its address (recovery runs before it).
pub const START_WAIT_MAX: Duration = Duration::from_secs(120);
/// Most lines read from the server's stdout while looking for its address.
pub const START_LINES_MAX: usize = 10_000;
/// Longest wait for `/readyz` to answer 200 once the address is known.
pub const READY_WAIT_MAX: Duration = Duration::from_secs(30);
/// Pause between two `/readyz` polls.
pub const READY_POLL: Duration = Duration::from_millis(20);
/// Longest wait for a process to exit after SIGKILL or SIGTERM.
pub const EXIT_WAIT_MAX: Duration = Duration::from_secs(60);
/// Longest `farthing check`.
pub const CHECK_WAIT_MAX: Duration = Duration::from_secs(600);
/// The line `farthing serve` prints once it accepts connections.
const LISTENING: &str = "farthing listening on ";

/// How to run the server.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    /// The `farthing` binary.
    pub binary: PathBuf,
    /// `--config`, if any.
    pub config: Option<PathBuf>,
    /// `--data-dir`.
    pub data_dir: PathBuf,
}

/// A running server.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub target: Target,
    /// How long from spawn to ready.
    pub started_in: Duration,
}

impl Server {
    /// Starts `farthing serve` on `127.0.0.1:0` and waits until it is ready.
    ///
    /// # Errors
    /// The binary cannot be started, exits, prints no loopback address, or never gets ready.
    pub async fn start(spec: &ServerSpec) -> Result<Server> {
        let started = Instant::now();
        let mut command = Command::new(&spec.binary);
        command.arg("serve");
        if let Some(config) = &spec.config {
            command.arg("--config").arg(config);
        }
        command
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&spec.data_dir)
            // Quiet unless something is wrong; warnings and panics still reach our stderr.
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // A harness that fails half-way must not leave a server behind.
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", spec.binary.display()))?;
        let Some(stdout) = child.stdout.take() else {
            bail!("the server's stdout was not captured");
        };
        let mut lines = BufReader::new(stdout).lines();
        let find_address = async {
            for _ in 0..START_LINES_MAX {
                match lines.next_line().await? {
                    Some(line) => {
                        if let Some(url) = line.trim().strip_prefix(LISTENING) {
                            return Ok(Some(url.to_owned()));
                        }
                        eprintln!("farthing: {line}");
                    }
                    None => return Ok(None),
                }
            }
            anyhow::Ok(None)
        };
        let url = match tokio::time::timeout(START_WAIT_MAX, find_address).await {
            Ok(Ok(Some(url))) => url,
            Ok(Ok(None)) => {
                let status = child.wait().await.ok();
                bail!("the server exited before it listened: {status:?}");
            }
            Ok(Err(error)) => return Err(error.context("reading the server's stdout")),
            Err(_) => bail!("the server printed no address within {START_WAIT_MAX:?}"),
        };
        // Keep draining stdout so the server never blocks on a full pipe; bounded by the
        // server's life (the pipe closes when it exits).
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                eprintln!("farthing: {line}");
            }
        });
        let target = target::resolve(&url)
            .await
            .with_context(|| format!("the server's address {url}"))?;
        let mut server = Server {
            child,
            target,
            started_in: Duration::ZERO,
        };
        server.await_ready().await?;
        server.started_in = started.elapsed();
        Ok(server)
    }

    async fn await_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_WAIT_MAX;
        let polls_max = READY_WAIT_MAX.as_millis() / READY_POLL.as_millis() + 1;
        for _ in 0..polls_max {
            if let Some(status) = self.exited()? {
                bail!("the server exited while starting: {status}");
            }
            if self.ready().await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(READY_POLL).await;
        }
        bail!("the server was not ready within {READY_WAIT_MAX:?}")
    }

    async fn ready(&self) -> bool {
        let Ok(mut conn) = Conn::connect(self.target.addr).await else {
            return false;
        };
        let Ok(request) = client::request(Method::GET, &self.target.host, "/readyz", None, None)
        else {
            return false;
        };
        matches!(
            conn.send(request, Duration::from_secs(5), 64 * 1024).await,
            Ok((status, _)) if status.is_success()
        )
    }

    /// The exit status if the server has exited on its own.
    ///
    /// # Errors
    /// The status could not be read.
    pub fn exited(&mut self) -> Result<Option<ExitStatus>> {
        self.child.try_wait().context("polling the server process")
    }

    /// Kills the server with SIGKILL (no chance to flush or close anything) and reaps it.
    /// Returns the status if it had already exited on its own (a crash: a finding).
    ///
    /// # Errors
    /// The kill failed, or the process did not exit in time.
    pub async fn kill(mut self) -> Result<Option<ExitStatus>> {
        if let Some(status) = self.exited()? {
            return Ok(Some(status));
        }
        // tokio sends SIGKILL on Unix.
        self.child.start_kill().context("sending SIGKILL")?;
        tokio::time::timeout(EXIT_WAIT_MAX, self.child.wait())
            .await
            .context("the server outlived SIGKILL")?
            .context("reaping the server")?;
        Ok(None)
    }

    /// Stops the server with SIGTERM (a graceful shutdown) and checks that it exited 0.
    ///
    /// # Errors
    /// The signal could not be sent, the server did not exit in time, or it exited non-zero.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(status) = self.exited()? {
            bail!("the server had exited on its own: {status}");
        }
        let Some(pid) = self.child.id() else {
            bail!("the server has no pid");
        };
        // No signal API without `unsafe` or a new dependency; `kill(1)` is on every Unix.
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .context("running kill -TERM")?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed: {sent}");
        }
        let status = tokio::time::timeout(EXIT_WAIT_MAX, self.child.wait())
            .await
            .context("the server did not stop within the wait after SIGTERM")?
            .context("reaping the server")?;
        if !status.success() {
            bail!("the server's graceful stop exited with {status}");
        }
        Ok(())
    }
}

/// What `farthing check` said.
pub struct CheckOutcome {
    /// Exit status 0.
    pub passed: bool,
    /// Its output (stdout, then stderr), for the report when it failed.
    pub output: String,
}

/// Runs `farthing check --data-dir DIR` on a stopped server's data directory.
///
/// # Errors
/// The binary cannot be run or does not finish within `CHECK_WAIT_MAX`.
pub async fn check(binary: &Path, data_dir: &Path) -> Result<CheckOutcome> {
    let mut command = Command::new(binary);
    command
        .arg("check")
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(CHECK_WAIT_MAX, command.output())
        .await
        .context("farthing check did not finish in time")?
        .context("running farthing check")?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(CheckOutcome {
        passed: output.status.success(),
        output: text,
    })
}
