//! An agent's browser, as far as the harness needs one: the login through the demo's
//! development provider, the session cookie and CSRF token, JSON calls to the API.

use std::collections::BTreeMap;

use anyhow::{Context as _, bail};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

/// A logged-in agent.
#[derive(Debug)]
pub(crate) struct Agent {
    base: String,
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    /// The session's CSRF token (the API's `X-CSRF-Token`).
    pub(crate) csrf: String,
}

impl Agent {
    /// Logs `sub` in through `napoleon demo`'s development provider at `base`.
    pub(crate) async fn login(base: &str, sub: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut agent = Self {
            base: base.to_owned(),
            http,
            cookies: BTreeMap::new(),
            csrf: String::new(),
        };
        let start = agent.get_raw("/connexion/demo").await?;
        let authorize = agent.get_raw(&location(&start)?).await?;
        let page = authorize.text().await?;
        let pending = hidden(&page, "pending").context("the provider's login page")?;
        let chosen = agent
            .send(
                agent
                    .http
                    .post(format!("{base}/dev-idp/authorize"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("pending={pending}&sub={sub}")),
            )
            .await?;
        let callback = agent.get_raw(&location(&chosen)?).await?;
        if !callback.status().is_redirection() {
            bail!("{sub}: the login did not complete ({})", callback.status());
        }
        let home = agent.get_raw("/").await?.text().await?;
        agent.csrf = hidden(&home, "_csrf").context("the home page's CSRF token")?;
        Ok(agent)
    }

    /// The `Cookie` header this agent sends.
    pub(crate) fn cookie(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(
        &mut self,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<reqwest::Response> {
        let response = request.header(COOKIE, self.cookie()).send().await?;
        for value in response.headers().get_all(SET_COOKIE) {
            // `name=value; Path=/; …`: the pair before the attributes.
            let pair = value.to_str()?.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies
                    .insert(name.trim().to_owned(), value.trim().to_owned());
            }
        }
        Ok(response)
    }

    async fn get_raw(&mut self, path: &str) -> anyhow::Result<reqwest::Response> {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let request = self.http.get(url);
        self.send(request).await
    }

    /// `GET` of a JSON resource.
    pub(crate) async fn get_json(&mut self, path: &str) -> anyhow::Result<serde_json::Value> {
        let response = self.get_raw(path).await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(serde_json::from_slice(&body)?)
    }

    /// `POST` of a JSON body, with the CSRF header.
    pub(crate) async fn post_json(
        &mut self,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-csrf-token", &self.csrf)
            .body(body.to_string());
        let response = self.send(request).await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!("POST {path}: {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
    }
}

fn location(response: &reqwest::Response) -> anyhow::Result<String> {
    Ok(response
        .headers()
        .get(LOCATION)
        .with_context(|| format!("a redirection expected, got {}", response.status()))?
        .to_str()?
        .to_owned())
}

/// The value of a page's hidden field `name`.
fn hidden(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let rest = page.split(&marker).nth(1)?;
    Some(rest.split('"').next()?.to_owned())
}
