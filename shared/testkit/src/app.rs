//! One `TestApp` for every test: the real routers on a fresh database, in four modes.
//!
//! * **a process** (`TestApp::builder().service(…)`): the router `napoleon serve <service>`
//!   builds, edge layers included, driven in process (`app.get`, `app.request`);
//! * **live** (`TestApp::live()`, `live_with_activity()`…): the same, served on a socket with
//!   the development identity provider, for a scripted [`Browser`] (`app.login`, `logged_in`);
//! * **services** (`TestApp::services()`): the four services behind the edge without the
//!   gateway; requests carry the assertion the gateway would sign for a [`Who`]
//!   (`app.post(&who, …)`), and [`cast`] creates the demo cast with their roles;
//! * **two tenants**: every mode seeded with the demo data has the Interior and Culture
//!   ministries (`cast(&app).outsider` acts in the other one).
//!
//! The platform split into processes is [`crate::Process`]: the built binary serving one
//! service per process on a [`TestDb`] (`tests/it/split.rs`, `tests/it/telemetry.rs`).
//!
//! Every test ends with [`TestApp::finish`] (the database's invariants, see [`TestDb::finish`]).
#![expect(clippy::unwrap_used, reason = "test harness: a failure fails the test")]

use std::path::PathBuf;

use crate::{Browser, Page, TestDb, TestResponse, count, get, send};
use axum::Router;
use axum::body::Body;
use http::Method;
use http::Request;
use napoleon::app::{self, ServiceName};
use napoleon::demo;
use napoleon_db::{Db, core, identity};
use napoleon_gateway::ProviderConfig;
use napoleon_identity::{ASSERTION_HEADER, RoleGrant};
use napoleon_kernel::{
    AgentId, Email, OrgUnitId, OrgUnitKind, Personal, Role, Secret, TenantId, TenantSlug,
};
use napoleon_web::{AssetsConfig, EdgeConfig, WebContext};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The DSFR as `npm ci` installed it at the repository root.
pub fn assets() -> AssetsConfig {
    AssetsConfig {
        dsfr_dist: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../node_modules/@gouvfr/dsfr/dist"),
    }
}

/// The real routers on their own fresh database (see the module's modes).
pub struct TestApp {
    pub db: TestDb,
    pub router: Router,
    /// What the handlers are given (its `db` is the application role's pool, on the clock).
    pub ctx: WebContext,
    /// Where a live app is served (`http://127.0.0.1:<port>`); empty in process.
    pub base: String,
    /// The key the gateway signs assertions with (tests forge or check assertions with it).
    pub signer: napoleon_identity::AssertionSigner,
    /// The limits it was built with (the server loop takes its part).
    pub limits: napoleon::config::LimitsConfig,
    /// The app's clock: it runs at the system's pace from the system's time until a test
    /// moves it (`app.clock.advance(…)`), instead of sleeping.
    pub clock: napoleon_kernel::ClockHand,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("db", &self.db)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TestApp`]: `TestApp::builder().seeded().build().await`.
#[expect(missing_debug_implementations, reason = "holds routers")]
pub struct TestAppBuilder {
    service: ServiceName,
    /// The four services without the gateway (assertions signed by the test).
    services_only: bool,
    seeded: bool,
    tls: bool,
    migrated: bool,
    app_db: Option<Db>,
    providers: Vec<napoleon_gateway::ProviderConfig>,
    public_url: String,
    extra: Option<Router>,
    operators: Vec<String>,
    session: Option<(std::time::Duration, std::time::Duration)>,
    limits: napoleon::config::LimitsConfig,
    pieces: Option<napoleon_storage::PieceStore>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            service: ServiceName::All,
            services_only: false,
            seeded: false,
            tls: false,
            migrated: true,
            app_db: None,
            providers: Vec::new(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            extra: None,
            operators: Vec::new(),
            session: None,
            limits: napoleon::config::LimitsConfig::default(),
            pieces: None,
        }
    }

    /// Sends a request through the whole stack (edge layers included).
    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        send(&self.router, request).await.unwrap()
    }

    /// A GET with an `Accept` header.
    pub async fn get(&self, uri: &str, accept: &str) -> TestResponse {
        self.request(get(uri, accept).unwrap()).await
    }
}

impl TestApp {
    /// Ends the test: the database's invariants (`TestDb::finish`).
    pub async fn finish(self) {
        self.db.finish().await;
    }

    /// A worker running the pieces' scan jobs only, as the worker process does (its database
    /// role, the app's clock and store).
    fn scan_worker(&self, clamd: &napoleon_antivirus::Clamd, name: &str) -> napoleon_jobs::Worker {
        let store = self.ctx.pieces().unwrap().clone();
        let scan = napoleon_intake::PieceScan::new(store, clamd.clone()).unwrap();
        napoleon_jobs::Worker::new(
            self.ctx.for_service("worker").db,
            name,
            vec![std::sync::Arc::new(scan)],
        )
    }

    /// Decisions' own worker (registry imports, the board's exports), as decisions' process
    /// runs it (decisions' role).
    fn import_worker(&self, name: &str) -> napoleon_jobs::Worker {
        let store = self.ctx.pieces().unwrap().clone();
        let import = napoleon_decisions::RegistryImport::new(store.clone()).unwrap();
        let export = napoleon_decisions::DecisionsExport::new(store).unwrap();
        napoleon_jobs::Worker::new(
            self.ctx.for_service("decisions").db,
            name,
            vec![std::sync::Arc::new(import), std::sync::Arc::new(export)],
        )
    }

    /// Runs the pieces' scan jobs, the registry imports and the exports as they come, in the
    /// background, until aborted (as `serve all`'s workers do).
    pub fn spawn_scanner(&self, clamd: &napoleon_antivirus::Clamd) -> tokio::task::JoinHandle<()> {
        let scanner = self.scan_worker(clamd, "test-scanner");
        let importer = self.import_worker("test-importer");
        let exporter = self.export_worker("test-exporter");
        tokio::spawn(async move {
            let idle = std::time::Duration::from_millis(200);
            tokio::join!(
                scanner.run(idle, std::future::pending()),
                importer.run(idle, std::future::pending()),
                exporter.run(idle, std::future::pending()),
            );
        })
    }

    /// The exports' worker, as the worker process runs it (its role, the app's store).
    fn export_worker(&self, name: &str) -> napoleon_jobs::Worker {
        let store = self.ctx.pieces().unwrap().clone();
        let export = napoleon_promotion::PromotionExport::new(store.clone()).unwrap();
        let dossiers = napoleon_instruction::InstructionExport::new(store).unwrap();
        napoleon_jobs::Worker::new(
            self.ctx.for_service("worker").db,
            name,
            vec![std::sync::Arc::new(export), std::sync::Arc::new(dossiers)],
        )
    }

    /// Runs decisions' jobs that are due (registry imports, the board's exports), as
    /// decisions' process does (its database role, the app's store); how many ran.
    pub async fn run_decisions_jobs(&self) -> usize {
        let worker = self.import_worker("test-import");
        let mut ran = 0;
        while worker.run_one().await.unwrap().is_some() {
            ran += 1;
        }
        ran
    }

    /// Runs the exports' jobs that are due, as the worker does (its database role, the app's
    /// store); how many ran.
    pub async fn run_exports(&self) -> usize {
        let worker = self.export_worker("test-export");
        let mut ran = 0;
        while worker.run_one().await.unwrap().is_some() {
            ran += 1;
        }
        ran
    }

    /// Runs the pieces' scan jobs that are due, with `clamd`, as the worker does (its
    /// database role, the app's clock); how many ran.
    pub async fn scan_pieces(&self, clamd: &napoleon_antivirus::Clamd) -> usize {
        let worker = self.scan_worker(clamd, "test-scan");
        let mut ran = 0;
        while worker.run_one().await.unwrap().is_some() {
            ran += 1;
        }
        ran
    }
}

impl TestAppBuilder {
    /// The four services behind the edge, without the gateway: requests carry the assertion
    /// the gateway would sign ([`TestApp::post`] as a [`Who`]).
    pub fn services_only(mut self) -> Self {
        self.services_only = true;
        self
    }

    /// Serve only this service, as `napoleon serve <service>` does.
    pub fn service(mut self, service: ServiceName) -> Self {
        self.service = service;
        self
    }

    /// Load the demo data.
    pub fn seeded(mut self) -> Self {
        self.seeded = true;
        self
    }

    /// Served over TLS (HSTS on).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// A database without migrations.
    pub fn unmigrated(mut self) -> Self {
        self.migrated = false;
        self
    }

    /// Serve from this pool instead of the test database's (e.g. an unreachable one).
    pub fn with_app_db(mut self, db: Db) -> Self {
        self.app_db = Some(db);
        self
    }

    /// An identity provider the gateway offers.
    pub fn with_provider(mut self, provider: napoleon_gateway::ProviderConfig) -> Self {
        self.providers.push(provider);
        self
    }

    /// The URL the platform is reached at (callback URLs derive from it).
    pub fn public_url(mut self, url: &str) -> Self {
        url.clone_into(&mut self.public_url);
        self
    }

    /// Session lifetimes (idle, absolute), instead of the configured minutes and hours.
    pub fn session_lifetimes(
        mut self,
        idle: std::time::Duration,
        absolute: std::time::Duration,
    ) -> Self {
        self.session = Some((idle, absolute));
        self
    }

    /// Platform operators' emails.
    pub fn with_operator(mut self, email: &str) -> Self {
        self.operators.push(email.to_owned());
        self
    }

    /// Limits other than the configured defaults.
    pub fn limits(mut self, set: impl FnOnce(&mut napoleon::config::LimitsConfig)) -> Self {
        set(&mut self.limits);
        self
    }

    /// A router merged at the top (e.g. the development identity provider).
    /// Pieces kept in `store` (an S3 server's) rather than under the database's directory.
    pub fn pieces_in(mut self, store: napoleon_storage::PieceStore) -> Self {
        self.pieces = Some(store);
        self
    }

    pub fn with_extra(mut self, router: Router) -> Self {
        self.extra = Some(router);
        self
    }

    pub async fn build(self) -> TestApp {
        let db = if self.migrated {
            TestDb::new().await
        } else {
            TestDb::unmigrated().await
        }
        .unwrap();
        let (clock, hand) = napoleon_kernel::Clock::adjustable(chrono::Utc::now());
        // A pool given by the test (e.g. one where no database listens) serves everything.
        let given = self.app_db.is_some();
        let app_db = match self.app_db {
            Some(pool) => pool,
            None => db.app_db().unwrap(),
        }
        .with_clock(clock);
        if self.seeded {
            let issuers: Vec<String> = self.providers.iter().map(|p| p.issuer.clone()).collect();
            napoleon::demo::seed(&app_db, &issuers).await.unwrap();
        }
        // Operators as `napoleon operators add` adds them, through the first provider.
        if let Some(provider) = self.providers.first() {
            let mut conn = app_db.platform().await.unwrap();
            for email in &self.operators {
                let email = Email::parse(email).unwrap();
                napoleon_db::operators::add(&mut conn, &email, &provider.issuer)
                    .await
                    .unwrap();
            }
        }
        let mut config = napoleon::config::Config::default();
        config.server.public_url.clone_from(&self.public_url);
        config.documents.local_dir = Some(db.pieces_dir());
        config.limits = self.limits.clone();
        let (signer, verifier) = app::assertion_keys(&config, ServiceName::All).unwrap();
        // Each service on its own pool, connected as its database role, as a process serves
        // them: the whole suite runs on the roles' grants (the tools' role seeds above).
        let pools = if given {
            std::collections::HashMap::new()
        } else {
            app::service_pools(
                app_db.clock(),
                Some(&db.app_url()),
                &std::collections::BTreeMap::new(),
                &napoleon_db::roles::SERVICES,
                4,
            )
            .unwrap()
        };
        let ctx = WebContext::new(app_db, app::templates().unwrap(), verifier)
            .with_service_pools(pools)
            .with_pieces(
                self.pieces
                    .clone()
                    .unwrap_or_else(|| config.documents.store().unwrap().unwrap()),
            );
        let session = self.session;
        let browser_facing = matches!(self.service, ServiceName::All | ServiceName::Gateway);
        let gateway = browser_facing.then(|| {
            let mut gateway = app::gateway_config(
                &config,
                ServiceName::All,
                &ctx,
                signer.clone(),
                self.providers.clone(),
            )
            .unwrap();
            if let Some((idle, absolute)) = session {
                gateway.session.idle = idle;
                gateway.session.absolute = absolute;
            }
            gateway
        });
        let router = if self.services_only {
            let services = napoleon_intake::router(&ctx)
                .merge(napoleon_instruction::router(&ctx))
                .merge(napoleon_decisions::router(&ctx))
                .merge(napoleon_promotion::router(&ctx));
            // Through the edge, as every process serves them: refusals are rendered there.
            napoleon_web::edge_layers(services, ctx.templates.clone(), &EdgeConfig::default())
        } else {
            app::router(
                self.service,
                &ctx,
                &assets(),
                &EdgeConfig {
                    tls: self.tls,
                    trust_request_id: !browser_facing,
                    limits: config
                        .limits
                        .edge(
                            browser_facing
                                .then(|| napoleon_gateway::session_cookie_name(config.tls())),
                        )
                        .unwrap(),
                },
                gateway,
                self.extra,
            )
        };
        TestApp {
            db,
            router,
            ctx,
            base: String::new(),
            signer,
            limits: self.limits,
            clock: hand,
        }
    }
}

// Live mode -------------------------------------------------------------------------------

impl TestApp {
    /// Served on a socket, seeded, with the development identity provider.
    pub async fn live() -> Self {
        let (listener, base) = Self::bind().await;
        Self::serve_live(listener, base, Vec::new()).await
    }

    /// As [`live`](Self::live), with what `napoleon demo` adds: an open campaign, dossiers
    /// at every state and laureates in the registry.
    pub async fn live_with_activity() -> Self {
        Self::seed_activity(Self::live().await).await
    }

    /// As [`live`](Self::live), with limits other than the defaults.
    pub async fn live_with_limits(set: impl FnOnce(&mut napoleon::config::LimitsConfig)) -> Self {
        let (listener, base) = Self::bind().await;
        let mut limits = napoleon::config::LimitsConfig::default();
        set(&mut limits);
        Self::serve_with(listener, base, Vec::new(), None, limits).await
    }

    async fn seed_activity(live: Self) -> Self {
        let issuer = format!("{}{}", live.base, demo::DEV_IDP_PATH);
        let ctx = napoleon_web::WebContext::new(
            live.db.app_db().unwrap(),
            napoleon::app::templates().unwrap(),
            live.signer.verifier(),
        )
        .with_pieces(live.ctx.pieces().unwrap().clone());
        napoleon::demo_activity::seed_activity(&ctx, &live.signer, &issuer)
            .await
            .unwrap();
        live
    }

    /// As [`live`](Self::live), with short session lifetimes.
    pub async fn live_with_sessions(
        idle: std::time::Duration,
        absolute: std::time::Duration,
    ) -> Self {
        let (listener, base) = Self::bind().await;
        Self::serve_with(
            listener,
            base,
            Vec::new(),
            Some((idle, absolute)),
            napoleon::config::LimitsConfig::default(),
        )
        .await
    }

    /// Reserves the app's address first: providers need its callback URL before it serves.
    pub async fn bind() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        (listener, base)
    }

    /// Serves the seeded app with the demo provider plus `providers`.
    pub async fn serve_live(
        listener: tokio::net::TcpListener,
        base: String,
        providers: Vec<ProviderConfig>,
    ) -> Self {
        Self::serve_with(
            listener,
            base,
            providers,
            None,
            napoleon::config::LimitsConfig::default(),
        )
        .await
    }

    async fn serve_with(
        listener: tokio::net::TcpListener,
        base: String,
        providers: Vec<ProviderConfig>,
        session: Option<(std::time::Duration, std::time::Duration)>,
        limits: napoleon::config::LimitsConfig,
    ) -> Self {
        let secret = demo::random_secret();
        let idp = demo::dev_idp(&base, &secret);
        let provider = ProviderConfig {
            name: "demo".to_owned(),
            label: demo::DEMO_PROVIDER_LABEL.to_owned(),
            issuer: idp.issuer.clone(),
            client_id: demo::DEMO_CLIENT_ID.to_owned(),
            client_secret: Secret::new(secret),
            scopes: Vec::new(),
            button: napoleon_gateway::LoginButton::Plain,
        };
        let mut builder = TestApp::builder()
            .seeded()
            .public_url(&base)
            .with_provider(provider)
            // What `napoleon demo` adds.
            .with_operator(demo::DEMO_OPERATOR);
        for p in providers {
            builder = builder.with_provider(p);
        }
        if let Some((idle, absolute)) = session {
            builder = builder.session_lifetimes(idle, absolute);
        }
        let app = builder
            .limits(|l| *l = limits)
            .with_extra(
                Router::new().nest(demo::DEV_IDP_PATH, napoleon_devidp::router(idp).unwrap()),
            )
            .build()
            .await;
        Self::spawn(listener, &app);
        Self { base, ..app }
    }

    /// Serves the app as `napoleon serve` does (the server loop with its limits).
    pub fn spawn(listener: tokio::net::TcpListener, app: &TestApp) {
        let router = app.router.clone();
        let limits = app.limits.server().unwrap();
        tokio::spawn(napoleon_web::serve(
            listener,
            router,
            limits,
            None,
            std::future::pending(),
        ));
    }

    /// The id of the first dossier `browser`'s agent has on « Mes dossiers » (the demo
    /// rédacteur's draft, with the demo activity).
    pub async fn first_draft(&self, browser: &mut Browser) -> String {
        let page = browser.get(&self.url("/intake/dossiers")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let marker = "/intake/dossiers/";
        assert!(page.body.contains(marker), "no dossier link: {}", page.body);
        let start = page.body.find(marker).unwrap() + marker.len();
        page.body[start..start + 36].to_owned()
    }

    /// The version the draft's step page carries in its form (what a save sends back).
    pub async fn draft_version(&self, browser: &mut Browser, draft: &str) -> String {
        let page = browser
            .get(&self.url(&format!("/intake/dossiers/{draft}/etape/1")))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        page.hidden("version")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new browser logged in as `sub`, with its session's CSRF token.
    pub async fn logged_in(&self, sub: &str) -> (Browser, String) {
        let mut browser = Browser::new();
        self.login(&mut browser, sub).await;
        let csrf = browser.get(&self.url("/")).await.hidden("_csrf");
        (browser, csrf)
    }

    /// Walks the provider's pages as `sub` and returns the gateway's answer to the callback.
    pub async fn login(&self, browser: &mut Browser, sub: &str) -> Page {
        login_at(browser, &self.base, sub).await
    }

    pub async fn admin(&self) -> diesel_async::AsyncPgConnection {
        TestDb::connect(&self.db.admin_url()).await.unwrap()
    }

    pub async fn tenant_id(&self, slug: &str) -> napoleon_kernel::TenantId {
        let mut conn = TestDb::connect(&self.db.app_url()).await.unwrap();
        core::find_tenant(&mut conn, &TenantSlug::parse(slug).unwrap())
            .await
            .unwrap()
            .unwrap()
            .id
    }
}

// Services mode ---------------------------------------------------------------------------

/// Someone acting: an agent with roles in a tenant.
#[derive(Debug, Clone)]
pub struct Who {
    pub agent: AgentId,
    pub tenant: TenantId,
    pub roles: Vec<RoleGrant>,
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub json: Value,
    /// The response's headers (`X-Total-Count`, `Link`, `ETag`…).
    pub headers: axum::http::HeaderMap,
    /// The body as received (a downloaded piece).
    pub bytes: axum::body::Bytes,
}

impl Answer {
    /// A header's value as text (empty when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as text (a page); it must be UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes.to_vec()).unwrap()
    }
}

impl TestApp {
    /// The four services without the gateway, seeded with the demo ministries.
    pub async fn services() -> Self {
        Self::builder().services_only().seeded().build().await
    }

    pub async fn tenant(&self, slug: &str) -> TenantId {
        let mut conn = self.ctx.db.platform().await.unwrap();
        core::find_tenant(&mut conn, &TenantSlug::parse(slug).unwrap())
            .await
            .unwrap()
            .unwrap()
            .id
    }

    pub async fn unit(&self, tenant: TenantId, kind: OrgUnitKind, code: &str) -> OrgUnitId {
        let mut tx = self.ctx.db.tenant(tenant).await.unwrap();
        let units = core::list_org_units(&mut tx).await.unwrap();
        tx.rollback().await;
        units
            .iter()
            .find(|u| u.kind == kind && u.code.as_str() == code)
            .unwrap()
            .id
    }

    /// A new agent holding `role` at `unit` (in the unit's tenant), named after the role.
    pub async fn as_(&self, role: Role, unit: OrgUnitId) -> Who {
        #[derive(diesel::QueryableByName)]
        struct Tenant {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            tenant_id: uuid::Uuid,
        }
        use diesel_async::RunQueryDsl;
        let mut admin = TestDb::connect(&self.db.admin_url()).await.unwrap();
        let row: Tenant = diesel::sql_query("SELECT tenant_id FROM core.org_units WHERE id = $1")
            .bind::<diesel::sql_types::Uuid, _>(unit.as_uuid())
            .get_result(&mut admin)
            .await
            .unwrap();
        let name = format!("{}-{}", role.as_str(), AgentId::new());
        self.who(&name, TenantId::from_uuid(row.tenant_id), role, unit)
            .await
    }

    /// `POST /intake/api/v1/dossiers/{id}/submit` as `who`.
    pub async fn submit(&self, who: &Who, id: &str) -> Answer {
        let path = format!("/intake/api/v1/dossiers/{id}/submit");
        self.post(who, &path, serde_json::json!({})).await
    }

    /// `POST /instruction/api/v1/dossiers/{id}/take` as `who`.
    pub async fn take(&self, who: &Who, id: &str) -> Answer {
        let path = format!("/instruction/api/v1/dossiers/{id}/take");
        self.post(who, &path, serde_json::json!({})).await
    }

    /// `POST /instruction/api/v1/dossiers/{id}/opinion` as `who`.
    pub async fn opine(&self, who: &Who, id: &str, verdict: &str, motivation: &str) -> Answer {
        let path = format!("/instruction/api/v1/dossiers/{id}/opinion");
        let body = serde_json::json!({"verdict": verdict, "motivation": motivation});
        self.post(who, &path, body).await
    }

    /// `POST /instruction/api/v1/dossiers/{id}/transmit` as `who`.
    pub async fn transmit(&self, who: &Who, id: &str) -> Answer {
        let path = format!("/instruction/api/v1/dossiers/{id}/transmit");
        self.post(who, &path, serde_json::json!({})).await
    }

    /// An agent (created as a login would) holding `role` at `unit`.
    pub async fn who(&self, name: &str, tenant: TenantId, role: Role, unit: OrgUnitId) -> Who {
        let mut conn = self.ctx.db.platform().await.unwrap();
        let email = Email::parse(&format!("{name}@interieur.gouv.fr")).unwrap();
        let (agent, _) = identity::upsert_agent(
            &mut conn,
            &identity::VerifiedClaims {
                issuer: "https://test-idp",
                subject: name,
                email: &email,
                given_name: &Personal::new(name.to_owned()),
                usual_name: &Personal::new("Test".to_owned()),
                idp_id: None,
                email_verified: None,
            },
            self.ctx.db.clock().now(),
        )
        .await
        .unwrap();
        // The tenant knows this agent (as a claimed grant would make it), so its timelines
        // name them; and the grant is a member's, as a login would have claimed it (what a
        // job acting on the agent's behalf checks they still hold).
        diesel_async::RunQueryDsl::execute(
            diesel::sql_query(
            "INSERT INTO core.tenant_agents (tenant_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind::<diesel::sql_types::Uuid, _>(tenant.as_uuid())
        .bind::<diesel::sql_types::Uuid, _>(agent.id.as_uuid()),
            &mut self.admin().await,
        )
        .await
        .map(|_| ())
        .unwrap();
        diesel_async::RunQueryDsl::execute(
            diesel::sql_query(
                "INSERT INTO core.memberships (tenant_id, id, email, agent_id, unit_id, role, granted_by) \
                 VALUES ($1, gen_random_uuid(), $2, $3, $4, $5, 'system:test') ON CONFLICT DO NOTHING",
            )
            .bind::<diesel::sql_types::Uuid, _>(tenant.as_uuid())
            .bind::<diesel::sql_types::Text, _>(email.expose())
            .bind::<diesel::sql_types::Uuid, _>(agent.id.as_uuid())
            .bind::<diesel::sql_types::Uuid, _>(unit.as_uuid())
            .bind::<diesel::sql_types::Text, _>(role.as_str()),
            &mut self.admin().await,
        )
        .await
        .map(|_| ())
        .unwrap();
        Who {
            agent: agent.id,
            tenant,
            roles: vec![RoleGrant { role, unit }],
        }
    }

    pub async fn call(&self, who: &Who, method: Method, path: &str, body: Value) -> Answer {
        self.call_with(who, method, path, body, &[]).await
    }

    /// [`Self::call`] with extra request headers (`If-Match`, `Idempotency-Key`).
    pub async fn call_with(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.send(
            who,
            method,
            path,
            "application/json",
            body.to_string(),
            headers,
        )
        .await
    }

    /// `PUT /intake/api/v1/dossiers/{id}` as `who`, from the version a GET just read (as a
    /// client that reads then saves).
    pub async fn save_dossier(&self, who: &Who, id: &str, body: Value) -> Answer {
        let path = format!("/intake/api/v1/dossiers/{id}");
        let read = self.call(who, Method::GET, &path, json!({})).await;
        let version = format!("\"{}\"", read.json["version"]);
        self.call_with(who, Method::PUT, &path, body, &[("if-match", &version)])
            .await
    }

    /// A multipart POST (a page's file upload) of `body` (`napoleon::samples::multipart_named`).
    pub async fn upload(&self, who: &Who, path: &str, body: Vec<u8>) -> Answer {
        self.send(
            who,
            Method::POST,
            path,
            &napoleon::samples::multipart_type(),
            body,
            &[],
        )
        .await
    }

    /// A form POST (as a page sends it; CSRF is the gateway's, not the service's).
    pub async fn form(&self, who: &Who, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let body: String = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "+")))
            .collect::<Vec<_>>()
            .join("&");
        self.send(
            who,
            Method::POST,
            path,
            "application/x-www-form-urlencoded",
            body,
            &[],
        )
        .await
    }

    /// Sends a request as `who`, with the assertion the gateway would sign; the answer's
    /// JSON, or its text when it is a page.
    /// `POST /intake/api/v1/dossiers/{id}/pieces` as `who`: `files` (name, bytes) for the
    /// kind `code`, with the extra text `fields` (`replaces`).
    pub async fn attach(
        &self,
        who: &Who,
        id: &str,
        code: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Answer {
        let mut all = vec![("code", code)];
        all.extend_from_slice(fields);
        let body = napoleon::samples::multipart(&all, files);
        self.send(
            who,
            Method::POST,
            &format!("/intake/api/v1/dossiers/{id}/pieces"),
            &napoleon::samples::multipart_type(),
            body,
            &[],
        )
        .await
    }

    /// Attaches a sample PDF for each piece the dossier still lacks to be submitted.
    pub async fn attach_required(&self, who: &Who, id: &str) {
        let read = self
            .call(
                who,
                Method::GET,
                &format!("/intake/api/v1/dossiers/{id}"),
                json!({}),
            )
            .await;
        assert_eq!(read.status, 200, "{}", read.json);
        for code in napoleon::samples::missing_pieces(&read.json) {
            let pdf = napoleon::samples::sample_pdf(&code);
            let answer = self
                .attach(who, id, &code, &[], &[(&format!("{code}.pdf"), &pdf)])
                .await;
            assert_eq!(answer.status, 201, "{}", answer.json);
        }
    }

    async fn send(
        &self,
        who: &Who,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<Body>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let service = path.trim_start_matches('/').split('/').next().unwrap();
        // Pages need the header the gateway asserts; the API ignores it.
        let assertion = self.signer.sign(
            napoleon_identity::Claims::new(
                service,
                who.agent,
                who.tenant,
                who.roles.clone(),
                "test",
            )
            .for_request(method.as_str(), path)
            .with_page(Some(napoleon_identity::LayoutUser {
                name: "Agent de test".to_owned(),
                tenant: Some("Ministère".to_owned()),
                unit: None,
                can_switch: false,
                operator: false,
                csrf: "jeton".to_owned(),
            })),
            self.ctx.db.clock().timestamp(),
        );
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(ASSERTION_HEADER, assertion)
            .header(napoleon_identity::CSRF_HEADER, "jeton")
            .header("content-type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body.into()).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            json: serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned())),
            bytes,
        }
    }

    pub async fn post(&self, who: &Who, path: &str, body: Value) -> Answer {
        self.call(who, Method::POST, path, body).await
    }

    /// The dossier's state and the tenant's whole journal length: what a refused request
    /// must leave as it was.
    pub async fn snapshot(&self, dossier: &str) -> (String, i64) {
        let mut conn = TestDb::connect(&self.db.admin_url()).await.unwrap();
        let state: Vec<String> = {
            use diesel_async::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct S {
                #[diesel(sql_type = diesel::sql_types::Text)]
                state: String,
            }
            diesel::sql_query(format!(
                "SELECT state FROM intake.dossiers WHERE id = '{dossier}'"
            ))
            .load::<S>(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|s| s.state)
            .collect()
        };
        let events = count(&mut conn, "SELECT count(*) AS n FROM journal.events").await;
        (state.concat(), events)
    }
}

/// The cast of the walk, in the Interior ministry's demo tree.
#[derive(Debug)]
pub struct Cast {
    pub tenant: TenantId,
    pub admin: Who,
    pub redacteur: Who,
    pub instructeur: Who,
    pub valideur: Who,
    pub integrateur: Who,
    pub bureau: OrgUnitId,
    pub outsider: Who,
}

impl Cast {
    /// An agent with `role` at the Gironde's préfecture, in the cast's ministry: outside the
    /// Rhône's dossiers, the scope tests' other unit.
    pub async fn gironde(&self, app: &TestApp, role: Role) -> Who {
        let unit = app
            .unit(self.tenant, OrgUnitKind::PrefectureDepartement, "33")
            .await;
        app.as_(role, unit).await
    }
}

pub async fn cast(slice: &TestApp) -> Cast {
    let tenant = slice.tenant("interieur").await;
    let ministry = slice.unit(tenant, OrgUnitKind::Ministere, "MI").await;
    let rhone = slice
        .unit(tenant, OrgUnitKind::PrefectureDepartement, "69")
        .await;
    let bureau = slice.unit(tenant, OrgUnitKind::Direction, "BCD").await;
    let culture = slice.tenant("culture").await;
    let bdh = slice.unit(culture, OrgUnitKind::Direction, "BDH").await;
    Cast {
        tenant,
        admin: slice
            .who("anne", tenant, Role::Administrateur, ministry)
            .await,
        redacteur: slice.who("paul", tenant, Role::Redacteur, rhone).await,
        instructeur: slice.who("claire", tenant, Role::Instructeur, rhone).await,
        valideur: slice.who("hugo", tenant, Role::Valideur, rhone).await,
        integrateur: slice.who("sophie", tenant, Role::Integrateur, bureau).await,
        bureau,
        outsider: slice.who("lucie", culture, Role::Instructeur, bdh).await,
    }
}

// A nomination's path, as named steps --------------------------------------------------

/// Today in Paris, as the services judge it.
pub fn today() -> chrono::NaiveDate {
    napoleon_kernel::Clock::system().today()
}

/// A campaign open today, for the Légion d'honneur, promoting on the next 14 July far enough.
pub async fn open_campaign(slice: &TestApp, cast: &Cast) -> String {
    use chrono::Datelike;
    let today = today();
    let promotion = chrono::NaiveDate::from_ymd_opt(today.year() + 1, 7, 14).unwrap();
    let answer = slice
        .post(
            &cast.admin,
            "/intake/api/v1/campaigns",
            json!({
                "distinction": "LH",
                "promotion_date": promotion.to_string(),
                "opens_on": (today - chrono::Duration::days(1)).to_string(),
                "closes_on": (today + chrono::Duration::days(30)).to_string(),
                "bureau_unit_id": cast.bureau.to_string(),
                "contingents": {"chevalier": "2"},
            }),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.json);
    answer.json["id"].as_str().unwrap().to_owned()
}

/// A complete, eligible nomination for LH chevalier.
pub fn eligible_content(name: &str, sex: &str) -> Value {
    json!({
        "candidate": {"birth_name": name, "usual_name": "", "given_names": "Jeanne", "sex": sex,
            "birth_date": "1960-05-04", "birth_place": "Lyon", "nationality": "FR",
            "french_since": "", "residence_department": "69"},
        "career": [{"from": "1982-09-01", "to": "", "kind": "public", "position": "Ingénieure territoriale"}],
        "distinctions": [{"distinction": "ONM", "grade": "chevalier", "decreed_on": "2010-05-14", "received_on": "2010-09-01"}],
        "motifs": "Quarante ans de service public au bénéfice des habitants du Rhône.",
        "criminal_record_issued_on": (today() - chrono::Duration::days(5)).to_string(),
    })
}

/// A draft of an eligible candidate, created by the rédacteur through the API; its id.
pub async fn draft(slice: &TestApp, cast: &Cast, campaign: &str, name: &str, sex: &str) -> String {
    let created = slice
        .post(
            &cast.redacteur,
            "/intake/api/v1/dossiers",
            json!({"campaign_id": campaign, "content": eligible_content(name, sex)}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_owned();
    // With the pieces its submission requires (attached without reading the dossier, so the
    // read log holds only what the test itself reads).
    for code in LH_CHEVALIER_PIECES {
        let pdf = napoleon::samples::sample_pdf(code);
        let answer = slice
            .attach(
                &cast.redacteur,
                &id,
                code,
                &[],
                &[(&format!("{code}.pdf"), &pdf)],
            )
            .await;
        assert_eq!(answer.status, 201, "{}", answer.json);
    }
    id
}

/// The pieces a Légion d'honneur dossier for chevalier must attach (`lh.toml`).
pub const LH_CHEVALIER_PIECES: [&str; 3] = ["b2", "etat_civil", "etat_services"];

/// A dossier submitted by the rédacteur; returns (id, number).
pub async fn submitted(
    slice: &TestApp,
    cast: &Cast,
    campaign: &str,
    name: &str,
    sex: &str,
) -> (String, String) {
    let id = draft(slice, cast, campaign, name, sex).await;
    let submitted = slice.submit(&cast.redacteur, &id).await;
    assert_eq!(submitted.status, 200, "{}", submitted.json);
    (id, submitted.json["number"].as_str().unwrap().to_owned())
}

/// Takes, opines (instructeur) and transmits (valideur).
pub async fn transmitted(app: &TestApp, cast: &Cast, id: &str) {
    assert_eq!(app.take(&cast.instructeur, id).await.status, 204);
    let opinion = app
        .opine(&cast.instructeur, id, "favorable", "Très favorable.")
        .await;
    assert_eq!(opinion.status, 204, "{}", opinion.json);
    assert_eq!(app.transmit(&cast.valideur, id).await.status, 204);
}

/// Walks the development provider's pages of the platform at `base` (this harness's or a
/// `napoleon demo` process's) as `sub`; the gateway's answer to the callback.
pub async fn login_at(browser: &mut Browser, base: &str, sub: &str) -> Page {
    let start = browser.get(&format!("{base}/connexion/demo")).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let authorize = browser.get(&start.next()).await;
    assert_eq!(authorize.status, 200, "{}", authorize.body);
    let pending = authorize.hidden("pending");
    let chosen = browser
        .post(
            &format!("{base}/dev-idp/authorize"),
            &[("pending", pending.as_str()), ("sub", sub)],
        )
        .await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    browser.get(&chosen.next()).await
}
