use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use napoleon_db::Db;
use napoleon_db::core::{self, NewOrgUnit, NewTenant};
use napoleon_kernel::{OrgUnitCode, OrgUnitKind, TenantId, TenantSlug};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

/// Runs a `SELECT … AS t` of one text value.
pub async fn text(conn: &mut AsyncPgConnection, sql: &str) -> String {
    diesel::sql_query(sql)
        .get_result::<Text>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .t
}

/// Runs a `SELECT count(*) AS n …`.
pub async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// Creates a tenant with a ministry and `units` préfectures under it.
pub async fn tenant_with_units(db: &Db, slug: &str, units: usize) -> TenantId {
    let slug = TenantSlug::parse(slug).unwrap();
    let (tenant, _) = {
        let mut conn = db.platform().await.unwrap();
        core::ensure_tenant(
            &mut conn,
            &NewTenant {
                slug: &slug,
                name: "Ministère de test",
                is_sandbox: false,
            },
        )
        .await
        .unwrap()
    };
    let mut tx = db.tenant(tenant.id).await.unwrap();
    let root_code = OrgUnitCode::parse("MIN").unwrap();
    let (root, _) = core::ensure_org_unit(
        &mut tx,
        &NewOrgUnit {
            parent_id: None,
            kind: OrgUnitKind::Ministere,
            code: &root_code,
            name: "Ministère",
        },
    )
    .await
    .unwrap();
    for i in 0..units {
        let code = OrgUnitCode::parse(&format!("{}", 10 + i)).unwrap();
        core::ensure_org_unit(
            &mut tx,
            &NewOrgUnit {
                parent_id: Some(root.id),
                kind: OrgUnitKind::PrefectureDepartement,
                code: &code,
                name: "Préfecture",
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    tenant.id
}

use std::path::PathBuf;

use axum::Router;
use axum::body::Body;
use http::Request;
use napoleon::app::{self, ServiceName};
use napoleon_testkit::{TestDb, TestResponse, get, send};
use napoleon_web::{AssetsConfig, EdgeConfig, WebContext};

/// The DSFR as `npm ci` installed it at the repository root.
pub fn assets() -> AssetsConfig {
    AssetsConfig {
        dsfr_dist: PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../node_modules/@gouvfr/dsfr/dist"),
    }
}

/// The real router of a `napoleon serve <service>` process, on its own fresh database.
pub struct TestApp {
    pub db: TestDb,
    pub router: Router,
    /// The key the gateway signs assertions with (tests forge or check assertions with it).
    pub signer: napoleon_identity::AssertionSigner,
    /// The limits it was built with (the server loop takes its part).
    pub limits: napoleon::config::LimitsConfig,
    /// The app's clock: it runs at the system's pace from the system's time until a test
    /// moves it (`app.clock.advance(…)`), instead of sleeping.
    pub clock: napoleon_kernel::ClockHand,
}

/// Builds a [`TestApp`]: `TestApp::builder().seeded().build().await`.
pub struct TestAppBuilder {
    service: ServiceName,
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
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            service: ServiceName::All,
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
}

impl TestAppBuilder {
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
        let app_db = match self.app_db {
            Some(pool) => pool,
            None => db.app_db().unwrap(),
        }
        .with_clock(clock);
        if self.seeded {
            napoleon::demo::seed(&app_db).await.unwrap();
        }
        let mut config = napoleon::config::Config::default();
        config.server.public_url.clone_from(&self.public_url);
        config.platform.operators.clone_from(&self.operators);
        config.limits = self.limits.clone();
        let (signer, verifier) = app::assertion_keys(&config, ServiceName::All).unwrap();
        let ctx = WebContext::new(app_db, app::templates().unwrap(), verifier);
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
        let router = app::router(
            self.service,
            &ctx,
            &assets(),
            &EdgeConfig {
                tls: self.tls,
                limits: config.limits.edge(browser_facing).unwrap(),
            },
            gateway,
            self.extra,
        );
        TestApp {
            db,
            router,
            signer,
            limits: self.limits,
            clock: hand,
        }
    }
}
