//! The frame every buy-window page shares: the HTML5 document, its inline stylesheet, the
//! brand line, the footer, and small pieces that several pages repeat (the vendor row, hidden
//! fields).
//!
//! No external resources (fonts, images, scripts): the window must render on a slow phone
//! and leak nothing about the reader to a third party. Depends on `maud` and [`Strings`].

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::web::i18n::{Lang, Strings};

/// The stylesheet inlined in every page. Public so that the HTTP layer can hash it for a
/// `Content-Security-Policy: style-src 'sha256-…'` instead of allowing `'unsafe-inline'`.
pub const STYLESHEET: &str = r#"
:root{--ink:#1c2230;--muted:#596174;--line:#e2e6ee;--bg:#eef1f6;--card:#fff;
--accent:#1b4fd6;--accent-dark:#143ea8;--ok-bg:#e7f6ec;--ok-ink:#175231;
--bad-bg:#fdeceb;--bad-ink:#8b1d18;--field:#c3c9d5}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;background:var(--bg);color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"Hiragino Sans","Noto Sans JP","Noto Sans CJK JP",sans-serif;
display:flex;flex-direction:column;align-items:center;padding:36px 16px}
.brand{display:flex;align-items:center;gap:8px;margin:0 0 14px;font-weight:700;
font-size:15px;letter-spacing:.02em;color:var(--muted)}
.coin{width:20px;height:20px;border-radius:50%;
background:radial-gradient(circle at 35% 35%,#f1d48a,#b8862b 70%);box-shadow:inset 0 0 0 2px #a3741f}
.card{width:100%;max-width:420px;background:var(--card);border-radius:16px;
box-shadow:0 1px 2px rgba(20,30,50,.06),0 10px 30px rgba(20,30,50,.10);padding:26px 28px 24px}
.merchant{display:flex;align-items:center;gap:12px;padding-bottom:16px;margin-bottom:18px;
border-bottom:1px solid var(--line)}
.monogram{flex:none;width:42px;height:42px;border-radius:11px;background:#22304f;color:#fff;
display:flex;align-items:center;justify-content:center;font-weight:700;font-size:19px}
.label{display:block;font-size:12px;letter-spacing:.05em;text-transform:uppercase;color:var(--muted)}
.vendor{font-weight:600;font-size:17px;overflow-wrap:anywhere}
h1{font-size:23px;line-height:1.3;margin:0 0 6px;overflow-wrap:anywhere}
.offer-title{font-weight:600;margin:0;overflow-wrap:anywhere}
.offer{display:flex;justify-content:space-between;align-items:baseline;gap:12px;
background:#f5f7fb;border-radius:11px;padding:12px 14px;margin:0 0 20px}
.offer .amount{font-weight:700;font-variant-numeric:tabular-nums;white-space:nowrap}
.row dt.offer-title{color:var(--ink)}
.description{color:var(--muted);margin:0 0 4px;overflow-wrap:anywhere}
.lead{color:var(--muted);margin:0 0 16px}
.rows{margin:18px 0;padding:0;border-top:1px solid var(--line)}
.row{display:flex;justify-content:space-between;align-items:baseline;gap:12px;
padding:11px 0;border-bottom:1px solid var(--line);margin:0}
.row dt{color:var(--muted)}
.row dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums;text-align:right}
.row.big dd{font-size:28px;font-weight:700;letter-spacing:-.01em}
.row.strong dd{color:var(--bad-ink)}
.btn{display:block;width:100%;margin:12px 0 0;padding:13px 16px;border-radius:11px;
border:1.5px solid var(--accent);font:inherit;font-size:17px;font-weight:600;text-align:center;
text-decoration:none;cursor:pointer}
.primary{background:var(--accent);color:#fff}
.primary:hover{background:var(--accent-dark);border-color:var(--accent-dark)}
.secondary{background:#fff;color:var(--accent)}
.secondary:hover{background:#f3f6fe}
.cancel{display:block;text-align:center;margin:18px 0 0;color:var(--muted);font-size:15px}
.notice{border-radius:11px;padding:11px 13px;margin:0 0 16px;font-size:15px}
.ok{background:var(--ok-bg);color:var(--ok-ink)}
.bad{background:var(--bad-bg);color:var(--bad-ink)}
.info{background:#edf2fd;color:#1d3570}
.fine{font-size:13px;color:var(--muted);margin:12px 0 0}
.field{display:block;font-weight:600;font-size:14px;margin:14px 0 6px}
.input{display:block;width:100%;padding:11px 12px;border:1px solid var(--field);
border-radius:10px;font:inherit;background:#fff;color:inherit}
.check{display:flex;gap:10px;align-items:flex-start;margin:16px 0 0;font-size:15px}
.check input{flex:none;width:18px;height:18px;margin:3px 0 0;accent-color:var(--accent)}
.check small{display:block;color:var(--muted);font-size:13px}
fieldset{border:1px solid var(--line);border-radius:11px;padding:8px 14px 12px;margin:16px 0 0}
legend{font-size:14px;color:var(--muted);padding:0 4px}
fieldset .check{margin:8px 0 0}
.account{display:flex;justify-content:space-between;align-items:center;gap:10px;
margin:0 0 16px;font-size:14px;color:var(--muted)}
.account span{overflow-wrap:anywhere}
.account form{margin:0}
.link{background:none;border:0;padding:0;font:inherit;font-size:14px;font-weight:600;
color:var(--accent);cursor:pointer;white-space:nowrap}
a{color:var(--accent)}
.alt{text-align:center;margin:18px 0 0;font-size:15px}
.mark{width:46px;height:46px;border-radius:50%;display:flex;align-items:center;
justify-content:center;font-weight:700;font-size:24px;margin:0 0 14px}
.code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted);
margin:16px 0 0}
.spinner{width:34px;height:34px;margin:6px auto 16px;border-radius:50%;
border:4px solid var(--line);border-top-color:var(--accent);animation:spin .9s linear infinite}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spinner{animation:none}}
.center{text-align:center}
footer{margin:18px 0 0;font-size:12px;color:var(--muted);text-align:center}
.wide{max-width:1040px}
.tabs{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 18px;padding:0 0 12px;
border-bottom:1px solid var(--line)}
.tabs a{padding:6px 12px;border-radius:9px;text-decoration:none;font-weight:600;font-size:15px}
.tabs a[aria-current=page]{background:#edf2fd;color:var(--ink)}
.grid{width:100%;border-collapse:collapse;font-size:14px;margin:12px 0}
.grid th{text-align:left;font-size:12px;letter-spacing:.05em;text-transform:uppercase;
color:var(--muted);padding:8px;border-bottom:1px solid var(--line)}
.grid td{padding:10px 8px;border-bottom:1px solid var(--line);vertical-align:top;
overflow-wrap:anywhere}
.grid .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.inline{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:0}
.inline .input{flex:1 1 150px;width:auto;padding:7px 9px}
.btn.small{display:inline-block;width:auto;margin:0;padding:7px 12px;font-size:14px}
.danger{background:#fff;color:var(--bad-ink);border-color:var(--bad-ink)}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-end;margin:0 0 8px}
.filters label{flex:1 1 220px}
.checks{columns:2 220px;margin:8px 0 0}
.checks .check{margin:4px 0;break-inside:avoid}
.tasks{padding:0;list-style:none}
.tasks li{padding:10px 0;border-bottom:1px solid var(--line)}
:focus-visible{outline:3px solid #8fb0f7;outline-offset:2px}
@media (max-width:480px){body{padding:18px 10px}.card{padding:22px 18px 20px}}
"#;

/// A complete HTML5 document around `main`: `<html lang>`, viewport, no referrer (the
/// delivery page carries an access token that must not leak onward), the stylesheet, the
/// brand line and the footer. `script` is added after `main` when given.
pub(crate) fn document(lang: Lang, title: &str, main: Markup, script: Option<Markup>) -> String {
    framed(lang, title, lang.strings().footer, main, script)
}

/// [`document`] with another footer: the back office's pages share the frame, not the
/// buy window's footer line.
pub(crate) fn framed(
    lang: Lang,
    title: &str,
    footer: &str,
    main: Markup,
    script: Option<Markup>,
) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex, nofollow";
                meta name="color-scheme" content="light";
                title { (title) " · farthing" }
                style { (PreEscaped(STYLESHEET)) }
            }
            body {
                div.brand { span.coin {} "farthing" }
                (main)
                footer { (footer) }
                @if let Some(script) = script { (script) }
            }
        }
    }
    .into_string()
}

/// The card of an error page: `main#error[data-code]`, a title, what to do, a way back, and
/// the machine-readable code after `code_label`. The buy window's and the back office's error
/// pages differ only in their words and their way back.
pub(crate) fn error_card(
    code: &str,
    title: &str,
    detail: &str,
    back: Option<Markup>,
    code_label: &str,
) -> Markup {
    html! {
        main #error .card data-code=(code) {
            div.mark.bad aria-hidden="true" { "!" }
            h1 { (title) }
            p.lead { (detail) }
            @if let Some(back) = back { (back) }
            p.code { (code_label) ": " (code) }
        }
    }
}

/// The e-mail and password fields of a sign-in form (`input#email`, `input#password`), the
/// e-mail refilled after a failed attempt: the member's and the operator's forms alike, so a
/// password manager fills both.
pub(crate) fn credential_fields(
    email_label: &str,
    password_label: &str,
    email: Option<&str>,
) -> Markup {
    html! {
        label.field for="email" { (email_label) }
        input #email .input type="email" name="email" autocomplete="username" required
            value=[email];
        label.field for="password" { (password_label) }
        input #password .input type="password" name="password"
            autocomplete="current-password" required;
    }
}

/// The vendor row at the top of a card. `with_id` puts the contract's `#vendor-name` on the
/// name (the signed-in buy page only, so a test cannot mistake another page for it).
pub(crate) fn merchant(strings: &Strings, vendor_name: &str, with_id: bool) -> Markup {
    let initial: String = vendor_name
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    html! {
        div.merchant {
            span.monogram aria-hidden="true" { (initial) }
            div {
                span.label { (strings.sold_by) }
                @if with_id {
                    span #vendor-name .vendor { (vendor_name) }
                } @else {
                    span.vendor { (vendor_name) }
                }
            }
        }
    }
}

/// The hidden CSRF field every form carries, and the public-computer session when there is
/// one (no cookie holds it in that mode, so each form hands it back).
pub(crate) fn hidden_fields(csrf: &str, session: Option<&str>) -> Markup {
    html! {
        input type="hidden" name="csrf" value=(csrf);
        @if let Some(session) = session {
            input type="hidden" name="session" value=(session);
        }
    }
}
