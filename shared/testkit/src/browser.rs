//! A scripted browser for login flows: real HTTP, no redirect following (each hop is
//! checked), and a cookie jar per host:port.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test harness: a failure fails the test"
)]

use std::collections::HashMap;

use openidconnect::reqwest;

#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    jar: HashMap<String, HashMap<String, String>>,
}

#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub url: String,
}

impl Page {
    /// The absolute URL the response redirects to.
    pub fn next(&self) -> String {
        let location = self
            .location
            .clone()
            .unwrap_or_else(|| panic!("{} {}: no Location\n{}", self.status, self.url, self.body));
        if location.starts_with("http") {
            location
        } else {
            let origin: String = self
                .url
                .splitn(4, '/')
                .take(3)
                .collect::<Vec<_>>()
                .join("/");
            format!("{origin}{location}")
        }
    }

    /// The value of the first hidden input named `name`.
    pub fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in {}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].replace("&amp;", "&")
    }
}

fn host_of(url: &str) -> String {
    url.split('/').nth(2).unwrap_or("").to_owned()
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A browser with an empty cookie jar, following no redirect by itself.
    pub fn new() -> Self {
        Self {
            http: reqwest::ClientBuilder::new()
                .redirect(reqwest::redirect::Policy::none())
                // The server closes a connection idle for `header_read_timeout_seconds`
                // (10 s): a browser idle for a while (another agent's turn in a test) must not
                // reuse one the server is closing at that very moment.
                .pool_idle_timeout(std::time::Duration::from_secs(4))
                .build()
                .unwrap(),
            jar: HashMap::new(),
        }
    }

    /// The value of a cookie set by `host` (e.g. the session id).
    pub fn cookie(&self, host_url: &str, name: &str) -> Option<String> {
        self.jar
            .get(&host_of(host_url))
            .and_then(|c| c.get(name))
            .cloned()
    }

    /// Replaces a cookie (to play an attacker fixing a session id).
    pub fn set_cookie(&mut self, host_url: &str, name: &str, value: &str) {
        self.jar
            .entry(host_of(host_url))
            .or_default()
            .insert(name.to_owned(), value.to_owned());
    }

    async fn send(&mut self, url: &str, request: reqwest::RequestBuilder) -> Page {
        self.try_send(url, request).await.unwrap()
    }

    /// As `send`, with the transport's failure (a dropped connection) as an error.
    async fn try_send(
        &mut self,
        url: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Page, reqwest::Error> {
        let host = host_of(url);
        let cookies: Vec<String> = self
            .jar
            .get(&host)
            .map(|c| c.iter().map(|(k, v)| format!("{k}={v}")).collect())
            .unwrap_or_default();
        let request = if cookies.is_empty() {
            request
        } else {
            request.header("cookie", cookies.join("; "))
        };
        let response = request.header("accept", "text/html").send().await?;
        for set in response.headers().get_all("set-cookie") {
            let text = set.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let expired = text.to_ascii_lowercase().contains("max-age=0");
            let jar = self.jar.entry(host.clone()).or_default();
            if expired || value.is_empty() {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        Ok(Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            url: url.to_owned(),
            body: response.text().await?,
        })
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let request = self.http.get(url);
        self.send(url, request).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(url, request).await
    }

    /// POSTs a body exactly as given (a hostile form no page would send).
    pub async fn post_raw(&mut self, url: &str, content_type: &str, body: String) -> Page {
        self.try_post_raw(url, content_type, body).await.unwrap()
    }

    /// As [`Self::post_raw`], with a dropped connection as an error.
    pub async fn try_post_raw(
        &mut self,
        url: &str,
        content_type: &str,
        body: String,
    ) -> Result<Page, reqwest::Error> {
        let request = self
            .http
            .post(url)
            .header("content-type", content_type)
            .body(body);
        self.try_send(url, request).await
    }

    /// PUTs JSON with the session's CSRF token.
    pub async fn put_json(&mut self, url: &str, body: &str, csrf: &str) -> Page {
        let request = self
            .http
            .put(url)
            .header("content-type", "application/json")
            .header("x-csrf-token", csrf)
            .body(body.to_owned());
        self.send(url, request).await
    }

    /// A second browser with this one's cookies (to send requests at the same time).
    pub fn twin(&self) -> Self {
        Self {
            http: self.http.clone(),
            jar: self.jar.clone(),
        }
    }

    /// POSTs JSON with the session's CSRF token in `X-CSRF-Token` (when given).
    /// POSTs a `multipart/form-data` body (`napoleon::samples::multipart`), the CSRF token
    /// in its header when given (an API client), or as the body's first part (a form).
    pub async fn post_multipart(&mut self, url: &str, body: Vec<u8>, csrf: Option<&str>) -> Page {
        let mut request = self
            .http
            .post(url)
            .header("content-type", napoleon::samples::multipart_type())
            .body(body);
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        self.send(url, request).await
    }

    /// Attaches, as an API client, a sample PDF for each of `codes` to the dossier `id` of the
    /// platform at `base`.
    pub async fn attach_samples(&mut self, base: &str, id: &str, codes: &[&str], csrf: &str) {
        for code in codes {
            let pdf = napoleon::samples::sample_pdf(code);
            let body =
                napoleon::samples::multipart(&[("code", code)], &[(&format!("{code}.pdf"), &pdf)]);
            let page = self
                .post_multipart(
                    &format!("{base}/intake/api/v1/dossiers/{id}/pieces"),
                    body,
                    Some(csrf),
                )
                .await;
            assert_eq!(page.status, 201, "{}", page.body);
        }
    }

    pub async fn post_json(&mut self, url: &str, body: &str, csrf: Option<&str>) -> Page {
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        self.send(url, request).await
    }

    /// POSTs JSON as [`Self::post_json`], with extra headers (`Idempotency-Key`), and the
    /// transport's failure (a refused or dropped connection) as an error: for writers that
    /// retry through a crash.
    ///
    /// # Errors
    /// The transport's.
    pub async fn try_post_json_with(
        &mut self,
        url: &str,
        body: &str,
        csrf: &str,
        headers: &[(&str, &str)],
    ) -> Result<Page, reqwest::Error> {
        let mut request = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("x-csrf-token", csrf)
            .body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.try_send(url, request).await
    }

    pub async fn get_json(&mut self, url: &str) -> (u16, serde_json::Value) {
        let page = self.get(url).await;
        (
            page.status,
            serde_json::from_str(&page.body).unwrap_or(serde_json::Value::Null),
        )
    }
}
