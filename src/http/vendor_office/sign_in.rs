//! A vendor admin's sign-in on a page: the form, and the post that sets the vendor office's
//! cookie. The password check, the throttle and the token are
//! `vendor_admin_api::sign_in_vendor_admin`'s, the same as `POST /v1/vendor-sessions`.

use hyper::StatusCode;

use super::{Browser, Form, HOME_PATH, Page, SIGN_IN_PATH, session_cookie};
use crate::http::client::ClientAddr;
use crate::http::error::ApiError;
use crate::http::vendor_admin_api::sign_in_vendor_admin;
use crate::web::back_office::SignInError;
use crate::web::vendor_office::{SignInView, sign_in_page};

/// The sign-in form, again with `error` and the e-mail typed when given.
pub(super) fn form(browser: &Browser<'_>, error: Option<SignInError>, email: Option<&str>) -> Page {
    let action = browser.path(SIGN_IN_PATH);
    let view = SignInView {
        action: &action,
        csrf: &browser.csrf,
        email,
        error,
    };
    let status = match error {
        None => StatusCode::OK,
        Some(SignInError::MissingCredentials) => StatusCode::BAD_REQUEST,
        Some(SignInError::WrongCredentials) => StatusCode::UNAUTHORIZED,
    };
    Page::html(status, sign_in_page(&view, browser.lang(None)))
}

/// Checks the form's CSRF token, signs the vendor admin in and answers a redirect to the home
/// page with the cookie; the form again for a wrong e-mail or password.
///
/// # Errors
/// `CsrfFailed`; `TooManyAttempts` while throttled; `Overloaded` when the hasher is busy.
pub(super) async fn sign_in(
    browser: &Browser<'_>,
    client: ClientAddr,
    form: &Form,
) -> Result<Page, ApiError> {
    browser.check_csrf(form)?;
    let email = form.get("email").unwrap_or("").trim();
    let password = form.get("password").unwrap_or("");
    if email.is_empty() || password.is_empty() {
        let email = Some(email).filter(|e| !e.is_empty());
        return Ok(self::form(
            browser,
            Some(SignInError::MissingCredentials),
            email,
        ));
    }
    let app = browser.app;
    match sign_in_vendor_admin(app, client, email, password.to_owned()).await {
        Ok(session) => {
            let cookie = session_cookie(
                browser.secure,
                &session.session_token,
                app.config.admin.operator_session_ttl_ms,
            );
            Ok(Page::redirect(browser.path(HOME_PATH)).with_cookie(cookie))
        }
        // Not an error page (nor the router's redirect for a 401): the form, to try again.
        Err(ApiError::Unauthenticated) => Ok(self::form(
            browser,
            Some(SignInError::WrongCredentials),
            Some(email),
        )),
        Err(error) => Err(error),
    }
}
