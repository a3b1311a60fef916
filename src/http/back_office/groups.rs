//! Security groups on a page ([0261]-[0262]): every group, and a form that creates one with a
//! checkbox for each function the operator holds (and no other), through
//! `security_api::create_group` like `POST /admin/v1/security-groups`.

use std::collections::BTreeMap;

use hyper::StatusCode;

use super::{Form, Outcome, Seat};
use crate::domain::security::SecurityGroup;
use crate::http::error::ApiError;
use crate::http::json::rfc3339;
use crate::http::routes::admin_functions;
use crate::http::security_api::create_group;
use crate::web::back_office::{
    self as pages, CreateGroup, FormError, GroupRow, GroupsView, Notice, Section,
};

/// The page's path.
const GROUPS_PATH: &str = "/back-office/security-groups";
/// The security function that shows the create form.
const CREATE: &str = "security_groups.create";
/// Fields of the create form read at most: a name, a token and one box per function, with
/// room for the route table to grow.
const FIELDS_MAX: usize = 256;

/// What a refused form typed, to fill the form in again.
pub(super) struct Typed {
    /// The name typed.
    name: String,
    /// The boxes checked.
    functions: Vec<String>,
}

/// The groups page, with `error` and what was typed when a form is shown again.
pub(super) fn page(
    seat: &Seat<'_>,
    status: StatusCode,
    error: Option<FormError>,
    typed: Option<&Typed>,
) -> Outcome {
    let state = seat.app.registry.back_office_state();
    let mut groups: Vec<&SecurityGroup> = state.staffing.groups.values().collect();
    groups.sort_by_key(|group| (group.created_at, group.id));
    let ids: Vec<String> = groups.iter().map(|group| group.id.to_string()).collect();
    let created: Vec<String> = groups
        .iter()
        .map(|group| rfc3339(group.created_at))
        .collect();
    let rows = groups
        .iter()
        .zip(&ids)
        .zip(&created)
        .map(|((group, id), created_at)| GroupRow {
            id,
            name: &group.name,
            functions: group.functions.iter().map(String::as_str).collect(),
            created_at,
        })
        .collect();
    let action = seat.browser.path(GROUPS_PATH);
    let create = seat.holds(CREATE).then(|| CreateGroup {
        action: &action,
        functions: admin_functions()
            .into_iter()
            .filter(|function| seat.holds(function))
            .collect(),
        name: typed.map(|typed| typed.name.as_str()),
        checked: typed
            .map(|typed| typed.functions.iter().map(String::as_str).collect())
            .unwrap_or_default(),
    });
    let view = GroupsView {
        desk: seat.desk(Section::SecurityGroups, error),
        groups: rows,
        create,
    };
    seat.respond(status, pages::groups_page(&view, seat.browser.lang(None)))
}

/// Creates a group from the posted form, then back to the groups with a notice; the form
/// again for a missing or long name.
///
/// # Errors
/// `CsrfFailed`; those of `security_api::create_group` (a function the operator does not
/// hold is `FunctionNotHeld`, whatever boxes a forged form checks).
pub(super) async fn create(seat: &Seat<'_>, body: &[u8]) -> Outcome {
    let mut fields = BTreeMap::new();
    let mut functions = Vec::new();
    for (name, value) in url::form_urlencoded::parse(body).take(FIELDS_MAX) {
        if name == "function" {
            functions.push(value.into_owned());
        } else {
            fields.insert(name.into_owned(), value.into_owned());
        }
    }
    let form = Form { fields };
    seat.check_form(&form)?;
    let name = form.get("name").unwrap_or("");
    match create_group(seat.app, seat.caller, name, functions.clone()).await {
        Ok(_) => seat.done(GROUPS_PATH, Notice::GroupCreated),
        Err(ApiError::InvalidField { param: "name", .. }) => {
            let typed = Typed {
                name: name.to_owned(),
                functions,
            };
            page(
                seat,
                StatusCode::BAD_REQUEST,
                Some(FormError::NameInvalid),
                Some(&typed),
            )
        }
        Err(error) => Err(error),
    }
}
