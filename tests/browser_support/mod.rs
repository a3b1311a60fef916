//! Headless Chromium for the browser tests, driven through chromedriver with fantoccini.
//!
//! One chromedriver per test binary: the first `Browser::new` runs
//! `tests/browser/ensure-chromium.sh` (installs Debian's `chromium` and `chromium-driver` when
//! missing), starts `chromedriver --port=<free port>` and waits for its `/status`. Each
//! `Browser` is its own Chromium with a fresh profile directory, so two browsers share no
//! cookies. When the browser cannot start, the test fails with the reason; it never skips.
//!
//! chromedriver lives in a static, and statics are never dropped, so it is started under a
//! small shell watchdog that reads the test process's end of a pipe: when the test binary
//! exits (passing, failing or killed), the pipe closes and the watchdog ends chromedriver's
//! whole process group, Chromium included.
//!
//! Helpers panic with the page's URL and source instead of returning errors: a test reads as
//! the steps a person takes. `run` gives a test its own tokio runtime; start the farthing node
//! (a blocking API with its own runtime) before it and drop it after it.
#![allow(dead_code, missing_docs)]

use std::fmt::Write as _;
use std::io::{Read as _, Seek as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Debian's browser and driver (packages `chromium` and `chromium-driver`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const ENSURE_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/browser/ensure-chromium.sh"
);

/// How long chromedriver may take to answer `/status` after it is spawned.
const DRIVER_START_WAIT: Duration = Duration::from_secs(20);
/// How long Chromium may take to start for a new session.
const SESSION_START_WAIT: Duration = Duration::from_secs(60);
/// How long `wait_for` and the helpers built on it look for an element.
pub const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);
/// Page source quoted in a failure message, at most.
const SOURCE_CHARS_MAX: usize = 12_000;

/// Runs an async test body on a fresh multi-threaded runtime and returns its output.
pub fn run<F: std::future::Future>(future: F) -> F::Output {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("building the test's tokio runtime: {error}"));
    runtime.block_on(future)
}

/// `target/browser-artifacts`: screenshots and the chromedriver log.
pub fn artifacts_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let target = tmp.parent().unwrap_or(tmp);
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|error| panic!("creating {}: {error}", dir.display()));
    dir
}

// ---------------------------------------------------------------------------------------------
// chromedriver, once per test binary

struct Driver {
    url: String,
    log: PathBuf,
    _process: DriverProcess,
}

/// The watched chromedriver. Dropping it (only on a failed start: the static one is never
/// dropped) closes the watchdog's pipe, which ends chromedriver's process group.
struct DriverProcess {
    child: Child,
    watchdog: Option<ChildStdin>,
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        drop(self.watchdog.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();

/// The shared chromedriver, started on first use. Blocking (runs apt-get when the browser
/// is missing); panics with the reason when the browser cannot be had.
fn driver() -> &'static Driver {
    match DRIVER.get_or_init(|| ensure_chromium().and_then(|()| start_driver())) {
        Ok(driver) => driver,
        Err(reason) => panic!("the browser tests cannot run: {reason}"),
    }
}

fn ensure_chromium() -> Result<(), String> {
    let output = Command::new("sh")
        .arg(ENSURE_SCRIPT)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("running {ENSURE_SCRIPT}: {error}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "{ENSURE_SCRIPT} failed ({}):\n{stderr}\n{stdout}",
            output.status
        ));
    }
    if !stderr.trim().is_empty() {
        eprintln!("{stderr}");
    }
    Ok(())
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|error| format!("finding a free port: {error}"))?;
    let port = listener
        .local_addr()
        .map_err(|error| format!("finding a free port: {error}"))?
        .port();
    Ok(port)
}

/// Starts chromedriver (a few tries: the free port may be taken in between).
fn start_driver() -> Result<Driver, String> {
    let mut failures = String::new();
    for _ in 0..3 {
        match start_driver_once() {
            Ok(driver) => return Ok(driver),
            Err(reason) => {
                let _ = writeln!(failures, "{reason}");
            }
        }
    }
    Err(format!("chromedriver did not start:\n{failures}"))
}

fn start_driver_once() -> Result<Driver, String> {
    let port = free_port()?;
    // One log per test binary, overwritten by its next run.
    let log = artifacts_dir().join(format!("chromedriver-{}.log", binary_name()));
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| format!("opening {}: {e}", log.display()))?;
    // The shell becomes the group leader and then chromedriver (exec keeps the pid); the
    // background subshell waits for our end of stdin to close, then ends the whole group.
    // (A background list's stdin is /dev/null, hence the pipe passed on as fd 3.)
    let child = Command::new("sh")
        .arg("-c")
        .arg(r#"exec 3<&0; ( cat <&3 >/dev/null; kill -TERM -$$ ) & exec 3<&- "$0" "$@""#)
        .arg(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdin(Stdio::piped())
        .stdout(log_file)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|error| format!("spawning {CHROMEDRIVER}: {error}"))?;
    let mut process = DriverProcess {
        watchdog: None,
        child,
    };
    process.watchdog = process.child.stdin.take();
    let url = format!("http://127.0.0.1:{port}");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .build()
        .into();
    let deadline = Instant::now() + DRIVER_START_WAIT;
    loop {
        if let Ok(Some(status)) = process.child.try_wait() {
            return Err(format!(
                "{CHROMEDRIVER} --port={port} exited ({status}):\n{}",
                read_tail(&log)
            ));
        }
        if let Ok(mut response) = agent.get(format!("{url}/status")).call() {
            let ready = response
                .body_mut()
                .read_json::<Value>()
                .is_ok_and(|body| body.pointer("/value/ready") == Some(&json!(true)));
            if ready {
                return Ok(Driver {
                    url,
                    log,
                    _process: process,
                });
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{CHROMEDRIVER} --port={port} did not answer /status within {DRIVER_START_WAIT:?}:\n{}",
                read_tail(&log)
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// The test binary's file name (`browser-<hash>`), naming its artifacts.
fn binary_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "tests".to_owned())
}

/// The last few KiB of a log file, for failure messages.
fn read_tail(path: &Path) -> String {
    const TAIL_BYTES: u64 = 8192;
    let Ok(mut file) = std::fs::File::open(path) else {
        return format!("({} cannot be read)", path.display());
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(std::io::SeekFrom::Start(length.saturating_sub(TAIL_BYTES)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    format!(
        "--- {} ---\n{}",
        path.display(),
        String::from_utf8_lossy(&bytes)
    )
}

// ---------------------------------------------------------------------------------------------
// Browser

/// How a `Browser` is set up. `Default`: English, JavaScript on.
#[derive(Clone, Debug)]
pub struct BrowserOptions {
    /// Chromium's UI language and the Accept-Language it sends, e.g. "ja" or "pt-BR".
    pub lang: Option<String>,
    /// Off: pages run no scripts (to see what a browser without JavaScript gets).
    pub javascript: bool,
}

impl Default for BrowserOptions {
    fn default() -> Self {
        BrowserOptions {
            lang: None,
            javascript: true,
        }
    }
}

/// One headless Chromium with its own fresh profile.
pub struct Browser {
    client: Client,
    session_id: Option<String>,
    driver_url: &'static str,
    closed: bool,
    // Dropped after the session is ended (fields drop after `Drop::drop`).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A new English browser with JavaScript on.
    pub async fn new() -> Browser {
        Browser::with_options(BrowserOptions::default()).await
    }

    /// A new browser whose language (UI and Accept-Language) is `lang`.
    pub async fn with_lang(lang: &str) -> Browser {
        Browser::with_options(BrowserOptions {
            lang: Some(lang.to_owned()),
            ..BrowserOptions::default()
        })
        .await
    }

    pub async fn with_options(options: BrowserOptions) -> Browser {
        let driver = match tokio::task::spawn_blocking(driver).await {
            Ok(driver) => driver,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        let profile = tempfile::Builder::new()
            .prefix("farthing-chromium-")
            .tempdir()
            .unwrap_or_else(|error| panic!("creating a Chromium profile directory: {error}"));
        let capabilities = capabilities(&options, profile.path());
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities);
        let client =
            match tokio::time::timeout(SESSION_START_WAIT, builder.connect(&driver.url)).await {
                Ok(Ok(client)) => client,
                Ok(Err(error)) => panic!(
                    "Chromium ({CHROMIUM}) did not start through chromedriver at {}: {error}\n{}",
                    driver.url,
                    read_tail(&driver.log)
                ),
                Err(_) => panic!(
                    "Chromium ({CHROMIUM}) did not start within {SESSION_START_WAIT:?}\n{}",
                    read_tail(&driver.log)
                ),
            };
        let session_id = client.session_id().await.unwrap_or(None);
        Browser {
            client,
            session_id,
            driver_url: &driver.url,
            closed: false,
            _profile: profile,
        }
    }

    /// Signs `email` in on an office's sign-in page at `login_url` (the offices share one
    /// sign-in form) and waits for the home page's menu, where `#who` names them.
    pub async fn sign_in_office(&self, login_url: &str, email: &str, password: &str) {
        self.goto(login_url).await;
        self.fill("input#email", email).await;
        self.fill("input#password", password).await;
        self.click("button#sign-in").await;
        self.wait_for("nav#nav").await;
        assert!(self.text("#who").await.contains(email));
    }

    /// The fantoccini client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        if let Err(error) = self.client.goto(url).await {
            panic!("opening {url}: {error}");
        }
    }

    pub async fn current_url(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(error) => panic!("reading the current URL: {error}"),
        }
    }

    /// The page's HTML as the browser has it now.
    pub async fn source(&self) -> String {
        self.client
            .source()
            .await
            .unwrap_or_else(|error| format!("(page source unavailable: {error})"))
    }

    /// Whether an element matching `css` is on the page now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        match self.client.find_all(Locator::Css(css)).await {
            Ok(found) => !found.is_empty(),
            Err(error) => panic!("looking for {css:?}: {error}"),
        }
    }

    /// Waits up to `WAIT` for an element matching `css`; panics with the URL and the page
    /// source when it does not appear.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self.try_wait_for(css, WAIT).await {
            Ok(element) => element,
            Err(message) => panic!("{message}"),
        }
    }

    /// `wait_for` with its own bound; the error is the failure message `wait_for` panics with.
    pub async fn try_wait_for(&self, css: &str, bound: Duration) -> Result<Element, String> {
        let deadline = Instant::now() + bound;
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => return Ok(element),
                Err(error) if error.is_no_such_element() => {}
                Err(error) => return Err(format!("looking for {css:?}: {error}")),
            }
            if Instant::now() > deadline {
                return Err(self
                    .failure(&format!("{css:?} did not appear within {bound:?}"))
                    .await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the current URL starts with `prefix`.
    pub async fn wait_for_url(&self, prefix: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.current_url().await;
            if url.starts_with(prefix) {
                return url;
            }
            if Instant::now() > deadline {
                let message = self
                    .failure(&format!("the URL did not become {prefix}… within {WAIT:?}"))
                    .await;
                panic!("{message}");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Clicks the element matching `css` (waiting for it, retrying while the page is
    /// still changing under it).
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let element = self.wait_for(css).await;
            match element.click().await {
                Ok(()) => return,
                Err(error) if transient(&error) && Instant::now() < deadline => {
                    tokio::time::sleep(POLL).await;
                }
                Err(error) => {
                    let message = self.failure(&format!("clicking {css:?}: {error}")).await;
                    panic!("{message}");
                }
            }
        }
    }

    /// Replaces the value of the input matching `css` with `text`, as typed.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.wait_for(css).await;
        if let Err(error) = element.clear().await {
            let message = self.failure(&format!("clearing {css:?}: {error}")).await;
            panic!("{message}");
        }
        if let Err(error) = element.send_keys(text).await {
            let message = self.failure(&format!("typing into {css:?}: {error}")).await;
            panic!("{message}");
        }
    }

    /// Checks or unchecks the checkbox or radio matching `css`.
    pub async fn set_checked(&self, css: &str, checked: bool) {
        let element = self.wait_for(css).await;
        let now = element.is_selected().await.unwrap_or_else(|error| {
            panic!("reading whether {css:?} is checked: {error}");
        });
        if now != checked {
            self.click(css).await;
        }
    }

    /// Whether the checkbox or radio matching `css` is checked.
    pub async fn is_checked(&self, css: &str) -> bool {
        let element = self.wait_for(css).await;
        element
            .is_selected()
            .await
            .unwrap_or_else(|error| panic!("reading whether {css:?} is checked: {error}"))
    }

    /// Chooses the option with `value` in the select matching `css`.
    pub async fn select(&self, css: &str, value: &str) {
        let element = self.wait_for(css).await;
        if let Err(error) = element.select_by_value(value).await {
            let message = self
                .failure(&format!("choosing {value:?} in {css:?}: {error}"))
                .await;
            panic!("{message}");
        }
    }

    /// The rendered text of the element matching `css` (waiting for it).
    pub async fn text(&self, css: &str) -> String {
        let element = self.wait_for(css).await;
        match element.text().await {
            Ok(text) => text,
            Err(error) => panic!("reading the text of {css:?}: {error}"),
        }
    }

    /// An attribute of the element matching `css` (waiting for it).
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.wait_for(css).await;
        match element.attr(name).await {
            Ok(value) => value,
            Err(error) => panic!("reading {name:?} of {css:?}: {error}"),
        }
    }

    /// The value of the form field matching `css` (waiting for it).
    pub async fn value(&self, css: &str) -> String {
        let element = self.wait_for(css).await;
        match element.prop("value").await {
            Ok(value) => value.unwrap_or_default(),
            Err(error) => panic!("reading the value of {css:?}: {error}"),
        }
    }

    /// The names of the cookies the browser would send to the current page (HttpOnly too).
    pub async fn cookie_names(&self) -> Vec<String> {
        match self.client.get_all_cookies().await {
            Ok(cookies) => cookies.iter().map(|c| c.name().to_owned()).collect(),
            Err(error) => panic!("reading cookies: {error}"),
        }
    }

    /// Saves a PNG of the viewport as `target/browser-artifacts/<name>.png`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = match self.client.screenshot().await {
            Ok(png) => png,
            Err(error) => panic!("taking screenshot {name}: {error}"),
        };
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)
            .unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
        path
    }

    /// Ends the session and quits this Chromium.
    pub async fn close(mut self) {
        self.closed = true;
        if let Err(error) = self.client.clone().close().await {
            panic!("closing the browser: {error}");
        }
    }

    /// A failure message: what went wrong, the URL, a screenshot and the page source.
    async fn failure(&self, what: &str) -> String {
        static FAILURES: AtomicU32 = AtomicU32::new(0);
        let url = match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(error) => format!("(unknown: {error})"),
        };
        let name = format!(
            "failure-{}-{}",
            binary_name(),
            FAILURES.fetch_add(1, Ordering::Relaxed)
        );
        let shot = match self.client.screenshot().await {
            Ok(png) => {
                let path = artifacts_dir().join(format!("{name}.png"));
                match std::fs::write(&path, png) {
                    Ok(()) => path.display().to_string(),
                    Err(error) => format!("(not saved: {error})"),
                }
            }
            Err(error) => format!("(not taken: {error})"),
        };
        let source = self.source().await;
        let shown: String = source.chars().take(SOURCE_CHARS_MAX).collect();
        let cut = if shown.len() < source.len() {
            "\n…(cut)"
        } else {
            ""
        };
        format!("{what}\nat {url}\nscreenshot: {shot}\npage source:\n{shown}{cut}")
    }
}

impl Drop for Browser {
    /// A browser not closed (a failed test) is ended here, without the async runtime, so its
    /// Chromium does not outlive the test.
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let Some(session) = &self.session_id else {
            return;
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let _ = agent
            .delete(format!("{}/session/{session}", self.driver_url))
            .call();
    }
}

/// Errors that mean "the page is still changing": worth another try.
fn transient(error: &CmdError) -> bool {
    error.is_stale_element_reference()
        || error.is_no_such_element()
        || error.is_element_not_interactable()
        || matches!(error, CmdError::Standard(w) if w.error == ErrorStatus::ElementClickIntercepted)
}

fn capabilities(options: &BrowserOptions, profile: &Path) -> serde_json::Map<String, Value> {
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-quic".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--window-size=1000,900".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut prefs = serde_json::Map::new();
    if let Some(lang) = &options.lang {
        args.push(format!("--lang={lang}"));
        prefs.insert("intl.accept_languages".to_owned(), json!(lang));
    }
    if !options.javascript {
        prefs.insert(
            "profile.managed_default_content_settings.javascript".to_owned(),
            json!(2),
        );
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("browserName".to_owned(), json!("chrome"));
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({"binary": CHROMIUM, "args": args, "prefs": prefs}),
    );
    capabilities
}
