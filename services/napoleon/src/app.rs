//! Composition: which routers a process serves, wrapped in the shared edge layers.

use axum::Router;
use napoleon_web::{
    AssetsConfig, EdgeConfig, HttpMetrics, Templates, WebContext, edge_layers, health_router,
    service_layers, static_router,
};

/// What `napoleon serve` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceName {
    /// Every service in one process (the embedded default).
    All,
    /// The gateway (the only service exposed to browsers).
    Gateway,
    /// Intake: campaigns and nomination files.
    Intake,
    /// Instruction: the review circuit.
    Instruction,
    /// Decisions: committees, decisions, publication.
    Decisions,
    /// Promotion: registry and promotion radar.
    Promotion,
}

impl ServiceName {
    /// The name used in `service.name` and logs.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Gateway => napoleon_gateway::SERVICE,
            Self::Intake => napoleon_intake::SERVICE,
            Self::Instruction => napoleon_instruction::SERVICE,
            Self::Decisions => napoleon_decisions::SERVICE,
            Self::Promotion => napoleon_promotion::SERVICE,
        }
    }
}

/// Compiles every template the process may render.
///
/// # Errors
/// The first template that does not compile.
pub fn templates() -> Result<Templates, String> {
    Templates::new(napoleon_gateway::TEMPLATES)
}

/// The complete router of a process serving `service`.
pub fn router(
    service: ServiceName,
    ctx: &WebContext,
    assets: &AssetsConfig,
    edge: &EdgeConfig,
) -> Router {
    let metrics = HttpMetrics::new();
    let mut routers: Vec<Router> = Vec::new();
    let include = |s: ServiceName| service == ServiceName::All || service == s;
    if include(ServiceName::Gateway) {
        routers.push(napoleon_gateway::router(ctx));
        routers.push(static_router(assets));
    }
    if include(ServiceName::Intake) {
        routers.push(napoleon_intake::router(ctx));
    }
    if include(ServiceName::Instruction) {
        routers.push(napoleon_instruction::router(ctx));
    }
    if include(ServiceName::Decisions) {
        routers.push(napoleon_decisions::router(ctx));
    }
    if include(ServiceName::Promotion) {
        routers.push(napoleon_promotion::router(ctx));
    }
    let app = routers
        .into_iter()
        .fold(health_router(ctx.db.clone()), Router::merge);
    edge_layers(service_layers(app, metrics), ctx.templates.clone(), edge)
}
