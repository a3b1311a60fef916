//! Speaking to an office's pages (`/back-office`, `/vendor-office`, …) the way a browser does,
//! without a browser: `Accept: text/html`, no redirects followed, a cookie jar, the CSRF token
//! read out of a form, and sign-in through the sign-in page. One client for every office,
//! because the offices share one shell (`http::office`): the same cookie rules, the same
//! sign-in form, the same CSRF check.

use std::collections::BTreeMap;

/// An answer, with its headers (every `Set-Cookie` kept) and its body as text.
pub struct Page {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The text between `before` and the next `"` or `<`.
    pub fn after(&self, before: &str) -> String {
        let start = self.body.find(before).unwrap_or_else(|| {
            panic!("{before} not in\n{}", self.body);
        }) + before.len();
        let rest = &self.body[start..];
        rest[..rest.find(['"', '<']).unwrap()].to_owned()
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        self.after(r#"name="csrf" value=""#)
    }

    /// Whether the page has an element with `id`.
    pub fn has(&self, id: &str) -> bool {
        self.body.contains(&format!(r#" id="{id}""#))
    }
}

/// A browser's way of speaking, without a browser.
pub struct Http {
    base: String,
    agent: ureq::Agent,
    /// The cookies kept, by name.
    pub jar: BTreeMap<String, String>,
    /// Headers sent with every request (`Accept-Language`, …).
    pub extra: Vec<(String, String)>,
}

impl Http {
    pub fn new(base: &str) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into();
        Http {
            base: base.to_owned(),
            agent,
            jar: BTreeMap::new(),
            extra: Vec::new(),
        }
    }

    /// One request with `cookies` as the `Cookie` header (a form body when given).
    pub fn send(&self, method: &str, path: &str, cookies: &str, body: Option<&str>) -> Page {
        let url = format!("{}{path}", self.base);
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("Accept", "text/html,application/xhtml+xml");
        if !cookies.is_empty() {
            builder = builder.header("Cookie", cookies);
        }
        for (name, value) in &self.extra {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = match body {
            Some(body) => self.agent.run(
                builder
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(body.to_owned())
                    .unwrap(),
            ),
            None => self.agent.run(builder.body(()).unwrap()),
        };
        let (status, headers, body) = super::read_answer(response.unwrap());
        Page {
            status,
            headers,
            body,
        }
    }

    /// A request with the jar's cookies; the answer's cookies go into the jar.
    pub fn request(&mut self, method: &str, path: &str, body: Option<&str>) -> Page {
        let cookies = self
            .jar
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let page = self.send(method, path, &cookies, body);
        for cookie in page.set_cookies() {
            let pair = cookie.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if cookie.contains("Max-Age=0") {
                self.jar.remove(name);
            } else {
                self.jar.insert(name.to_owned(), value.to_owned());
            }
        }
        page
    }

    pub fn get(&mut self, path: &str) -> Page {
        self.request("GET", path, None)
    }

    pub fn post(&mut self, path: &str, body: &str) -> Page {
        self.request("POST", path, Some(body))
    }

    /// Signs in through `office`'s sign-in page (`{office}/login`); answers the home page's
    /// redirect.
    pub fn sign_in(&mut self, office: &str, email: &str, password: &str) -> Page {
        let login = format!("{office}/login");
        let form = self.get(&login);
        assert_eq!(form.status, 200, "{}", form.body);
        let body = format!(
            "email={}&password={}&csrf={}",
            urlencode(email),
            urlencode(password),
            form.csrf()
        );
        self.post(&login, &body)
    }
}

pub fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
