//! The frame every office's pages share: the operators' back office, the vendor office, and
//! any office built after them. An office is a set of signed-in pages behind a sign-in form,
//! each page a card with who is signed in, a sign-out form, a menu of the pages the caller's
//! functions grant, a notice of what the last form did or why it is shown again, and the
//! page's own content; refusals are an error page with a way home.
//!
//! This module renders that frame once; an office supplies only what differs, through
//! [`Office`]: its sections (the menu), its notices and form errors, and its words. The words
//! every office needs ([`OfficeStrings`]) are one struct nested in each office's strings, so a
//! new office cannot forget one in one language (a field missing is a compile error), and the
//! problem codes every office meets ([`OfficeProblems`]) are looked up in one place. Element
//! ids (`#who`, `#sign-out`, `#nav`, `#notice`, `#form-error`, `#login`, `#error`, `#home`) are
//! the browser tests' contract, so they live here and nowhere else.
//!
//! Pure rendering, as the rest of `web`: no I/O, no HTTP types. Depends on `maud`,
//! `web::layout` (the buy window's document frame and stylesheet, so one CSP hash serves every
//! page) and `web::i18n` (`Lang`, `Problem`).

use std::convert::Infallible;
use std::fmt::Debug;

use maud::{Markup, html};

use crate::web::i18n::{Lang, Problem};
use crate::web::layout::{credential_fields, error_card, framed, hidden_fields};

/// The text of the problem codes every office's reader meets, one field per code so that each
/// language must give them all. An office adds its own codes through [`Office::problem`].
#[derive(Debug)]
pub struct OfficeProblems {
    /// `csrf_failed`: the form's CSRF token did not match.
    pub csrf_failed: Problem,
    /// `function_not_granted`: the caller lacks the page's or the form's function.
    pub function_not_granted: Problem,
    /// `too_many_attempts`: sign-in throttled; wait, then retry.
    pub too_many_attempts: Problem,
    /// `not_found`, `route_not_found`: no such page (an office may map more codes here).
    pub not_found: Problem,
    /// `overloaded`, `unavailable`, `storage_failed`: the service could not decide; retry.
    pub unavailable: Problem,
}

impl OfficeProblems {
    /// The text for a problem code every office shares, or `None` for any other.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&Problem> {
        let problem = match code {
            "csrf_failed" => &self.csrf_failed,
            "function_not_granted" => &self.function_not_granted,
            "too_many_attempts" => &self.too_many_attempts,
            "not_found" | "route_not_found" => &self.not_found,
            "overloaded" | "unavailable" | "storage_failed" => &self.unavailable,
            _ => return None,
        };
        Some(problem)
    }
}

/// The words of the frame in one language: what every office says around its pages. Each
/// office's strings hold one as `frame`, so the words stay the office's own ("for MSP staff
/// only", "for a vendor's own people") while the frame that shows them is written once.
#[derive(Debug)]
pub struct OfficeStrings {
    /// Footer line: whose pages these are.
    pub footer: &'static str,
    /// The menu's label for screen readers.
    pub menu: &'static str,
    /// "Signed in as {email}".
    pub signed_in_as: fn(&str) -> String,
    /// Shown instead when the caller is the office's key (a bearer, not a person).
    pub signed_in_with_key: &'static str,
    /// Sign-out button.
    pub sign_out: &'static str,

    /// Sign-in page heading.
    pub sign_in_heading: &'static str,
    /// Under it: who the pages are for, and that they are recorded.
    pub sign_in_intro: &'static str,
    /// E-mail field label.
    pub email: &'static str,
    /// Password field label.
    pub password: &'static str,
    /// Sign-in button.
    pub sign_in: &'static str,
    /// Sign-in error: e-mail and password do not match anyone of this office.
    pub wrong_credentials: &'static str,
    /// Sign-in error: a field was left empty.
    pub missing_credentials: &'static str,

    /// Menu link and heading of the home page.
    pub home: &'static str,
    /// Under the home heading.
    pub home_intro: &'static str,
    /// Home page, when the caller's functions grant no other page.
    pub home_nothing: &'static str,

    /// Label before the machine-readable problem code.
    pub problem_code: &'static str,
    /// Heading for a problem code without its own text.
    pub problem_generic_title: &'static str,
    /// Detail for a problem code without its own text.
    pub problem_generic_detail: &'static str,
    /// Link from an error page back to the home page.
    pub back_to_home: &'static str,
    /// Text per problem code every office shares.
    pub problems: OfficeProblems,
}

/// What an office gives the frame. Implemented by a unit type per office
/// (`web::back_office::BackOffice`, `web::vendor_office::VendorOffice`); the pages name it
/// through their `Desk` alias. A trait rather than a struct of values because the sections,
/// notices and form errors are each office's own enums, and the frame must match on none of
/// them.
pub trait Office: Clone + Debug + 'static {
    /// A page of the office, as its menu names it.
    type Section: Section;
    /// What a form did, shown once on the page it redirected to; [`Infallible`] for an
    /// office whose forms answer with a page of their own.
    type Notice: Notice;
    /// Why a page's form is shown again.
    type FormError: Said;

    /// The frame's words in `lang`.
    fn frame(lang: Lang) -> &'static OfficeStrings;

    /// The text for a problem code: the office's own codes, then the shared ones.
    fn problem(code: &str, lang: Lang) -> Option<&'static Problem>;

    /// The words before the name of whom the caller acts for (`#vendor-name`), for an office
    /// whose callers act for someone; `None` (the default) shows no such line.
    fn acting_for_label(_lang: Lang) -> Option<&'static str> {
        None
    }
}

/// A fixed message of an office in the reader's language: a form error, a notice. A fixed set
/// of variants rather than text passed along, so a link cannot make a page say anything else.
pub trait Said: Copy + Debug + PartialEq + 'static {
    /// The message in `lang`.
    fn text(self, lang: Lang) -> &'static str;
}

/// A notice, named in the URL after a form (`?done=`) and shown once as `p#notice`.
pub trait Notice: Said {
    /// The value of `?done=` and of `p#notice[data-code]`.
    fn code(self) -> &'static str;
    /// The notice of a code; `None` for anything else (ignored, not an error).
    fn from_code(code: &str) -> Option<Self>;
}

/// No notice: the office's forms answer with a page of their own, never a redirect.
impl Said for Infallible {
    fn text(self, _lang: Lang) -> &'static str {
        match self {}
    }
}

impl Notice for Infallible {
    fn code(self) -> &'static str {
        match self {}
    }

    fn from_code(_code: &str) -> Option<Self> {
        None
    }
}

/// A page of an office's menu.
pub trait Section: Copy + Debug + PartialEq + 'static {
    /// The home page: the menu and what each page is for.
    const HOME: Self;
    /// The id of its menu link, `a#nav-…`.
    fn nav_id(self) -> &'static str;
    /// Its menu link's text.
    fn label(self, lang: Lang) -> &'static str;
    /// What the page is for, on the home page; `None` for the home page itself.
    fn task(self, lang: Lang) -> Option<&'static str>;
}

/// One link of the menu: a page the caller's functions grant.
#[derive(Clone, Copy, Debug)]
pub struct NavLink<'a, S> {
    /// The page.
    pub section: S,
    /// Its path (keeping an explicit `?lang=`).
    pub href: &'a str,
}

/// Who is signed in, for the line above the menu.
#[derive(Clone, Copy, Debug)]
pub enum Who<'a> {
    /// A person, by e-mail: signed in with the office's cookie, so they get a sign-out form.
    Person(&'a str),
    /// The office's key (the admin key, a vendor's API key), presented as a bearer: no person
    /// and no cookie, so no sign-out form.
    Key,
}

/// What every signed-in page shows around its content.
#[derive(Clone, Debug)]
pub struct Desk<'a, O: Office> {
    /// Who is signed in.
    pub who: Who<'a>,
    /// Whom they act for (`#vendor-name`), in an office that says so.
    pub acting_for: Option<&'a str>,
    /// The menu: only the pages the caller may read.
    pub nav: Vec<NavLink<'a, O::Section>>,
    /// The page shown (marked in the menu).
    pub current: O::Section,
    /// The CSRF token for the hidden `csrf` field of every form.
    pub csrf: &'a str,
    /// Where `form#sign-out` posts.
    pub sign_out_action: &'a str,
    /// What the last form did, once.
    pub notice: Option<O::Notice>,
    /// Why the page's form is shown again.
    pub error: Option<O::FormError>,
}

/// Why the sign-in form is shown again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInError {
    /// The e-mail and password do not match anyone (which one is wrong is not said).
    WrongCredentials,
    /// A field was empty.
    MissingCredentials,
}

/// An office's sign-in form.
#[derive(Clone, Copy, Debug)]
pub struct SignInView<'a> {
    /// Where `form#login` posts.
    pub action: &'a str,
    /// The CSRF token for the hidden `csrf` field.
    pub csrf: &'a str,
    /// The e-mail typed before, refilled after a failed attempt.
    pub email: Option<&'a str>,
    /// Why the form is shown again, if it is.
    pub error: Option<SignInError>,
}

/// An error page: `main#error[data-code]`, a title and an explanation for the code.
#[derive(Clone, Copy, Debug)]
pub struct ErrorView<'a> {
    /// The stable problem code, machine-readable.
    pub code: &'a str,
    /// `a#home`: the home page.
    pub home_href: &'a str,
}

/// An office's sign-in page: `form#login`.
#[must_use]
pub fn sign_in_page<O: Office>(view: &SignInView<'_>, lang: Lang) -> String {
    let s = O::frame(lang);
    let error = view.error.map(|error| match error {
        SignInError::WrongCredentials => s.wrong_credentials,
        SignInError::MissingCredentials => s.missing_credentials,
    });
    let main = html! {
        main.card {
            h1 { (s.sign_in_heading) }
            p.lead { (s.sign_in_intro) }
            @if let Some(error) = error {
                p #login-error .notice.bad role="alert" { (error) }
            }
            form #login method="post" action=(view.action) {
                (hidden_fields(view.csrf, None))
                (credential_fields(s.email, s.password, view.email))
                button #sign-in .btn.primary type="submit" { (s.sign_in) }
            }
        }
    };
    framed(lang, s.sign_in_heading, s.footer, main, None)
}

/// An office's home page: what each page the caller may read is for.
#[must_use]
pub fn home_page<O: Office>(desk: &Desk<'_, O>, lang: Lang) -> String {
    let s = O::frame(lang);
    let tasks: Vec<(&NavLink<'_, O::Section>, &str)> = desk
        .nav
        .iter()
        .filter_map(|link| link.section.task(lang).map(|task| (link, task)))
        .collect();
    let content = html! {
        h1 { (s.home) }
        @if tasks.is_empty() {
            p #home-nothing .lead { (s.home_nothing) }
        } @else {
            p.lead { (s.home_intro) }
            ul #tasks .tasks {
                @for (link, task) in &tasks {
                    li {
                        a href=(link.href) { strong { (link.section.label(lang)) } }
                        br;
                        span.description { (task) }
                    }
                }
            }
        }
    };
    page(desk, s.home, content, lang)
}

/// An office's error page for a problem code; codes without their own text get a generic one.
#[must_use]
pub fn error_page<O: Office>(view: &ErrorView<'_>, lang: Lang) -> String {
    let s = O::frame(lang);
    let (title, detail) = match O::problem(view.code, lang) {
        Some(problem) => (problem.title, problem.detail),
        None => (s.problem_generic_title, s.problem_generic_detail),
    };
    let home = html! { a #home .btn.secondary href=(view.home_href) { (s.back_to_home) } };
    let main = error_card(view.code, title, detail, Some(home), s.problem_code);
    framed(lang, title, s.footer, main, None)
}

/// A signed-in page: who (and for whom), sign-out, the menu, the notice or error, then
/// `content`.
pub(crate) fn page<O: Office>(
    desk: &Desk<'_, O>,
    title: &str,
    content: Markup,
    lang: Lang,
) -> String {
    let s = O::frame(lang);
    let who = html! {
        @match desk.who {
            Who::Person(email) => { span #who { ((s.signed_in_as)(email)) } }
            Who::Key => { span #who { (s.signed_in_with_key) } }
        }
    };
    let main = html! {
        main.card.wide {
            div.account {
                @match (desk.acting_for, O::acting_for_label(lang)) {
                    (Some(name), Some(label)) => {
                        span { (who) " · " (label) " " strong #vendor-name { (name) } }
                    }
                    _ => { (who) }
                }
                @if let Who::Person(_) = desk.who {
                    form #sign-out method="post" action=(desk.sign_out_action) {
                        (hidden_fields(desk.csrf, None))
                        button #sign-out .link type="submit" { (s.sign_out) }
                    }
                }
            }
            nav #nav .tabs aria-label=(s.menu) {
                @for link in &desk.nav {
                    a id=(link.section.nav_id()) href=(link.href)
                        aria-current=[(link.section == desk.current).then_some("page")] {
                        (link.section.label(lang))
                    }
                }
            }
            @if let Some(notice) = desk.notice {
                p #notice .notice.ok role="status" data-code=(notice.code()) { (notice.text(lang)) }
            }
            @if let Some(error) = desk.error {
                p #form-error .notice.bad role="alert" { (error.text(lang)) }
            }
            (content)
        }
    };
    framed(lang, title, s.footer, main, None)
}

/// A time as the HTTP layer writes it (RFC 3339 in UTC, `2026-03-10T09:30:00.000Z`), shown
/// to the minute (`2026-03-10 09:30 UTC`) with the exact value kept in `datetime`. Anything
/// of another shape is shown as it is.
pub(crate) fn when(rfc3339: &str) -> Markup {
    let shown = match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(minute)) if rfc3339.ends_with('Z') => format!("{day} {minute} UTC"),
        _ => rfc3339.to_owned(),
    };
    html! { time datetime=(rfc3339) { (shown) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_problem_codes_and_their_aliases_resolve() {
        let text = |title| Problem { title, detail: "" };
        let problems = OfficeProblems {
            csrf_failed: text("csrf"),
            function_not_granted: text("grant"),
            too_many_attempts: text("throttle"),
            not_found: text("missing"),
            unavailable: text("busy"),
        };
        let title = |code| problems.get(code).map(|problem| problem.title);
        assert_eq!(title("csrf_failed"), Some("csrf"));
        assert_eq!(title("function_not_granted"), Some("grant"));
        assert_eq!(title("too_many_attempts"), Some("throttle"));
        assert_eq!(title("route_not_found"), Some("missing"));
        assert_eq!(title("not_found"), Some("missing"));
        for busy in ["overloaded", "unavailable", "storage_failed"] {
            assert_eq!(title(busy), Some("busy"), "{busy}");
        }
        assert_eq!(title("dispute_unknown"), None);
        assert_eq!(title("something_new"), None);
    }

    #[test]
    fn times_are_shown_to_the_minute_and_kept_exact() {
        let shown = when("2026-03-10T09:30:15.250Z").into_string();
        assert_eq!(
            shown,
            r#"<time datetime="2026-03-10T09:30:15.250Z">2026-03-10 09:30 UTC</time>"#
        );
        assert!(when("invalid").into_string().contains(">invalid<"));
    }
}
