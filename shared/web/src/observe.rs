//! Request spans and HTTP server metrics (OpenTelemetry semantic conventions).
//!
//! Span fields never hold personal data: method, route template (not the raw path, which can
//! carry identifiers of people in query strings), status, request id and `tenant.id`, which the
//! identity layer records once it knows the tenant.

use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use opentelemetry::KeyValue;
use opentelemetry::metrics::Histogram;
use tracing::Instrument;
use tracing::field::Empty;

/// The HTTP server instruments of one service.
#[derive(Clone, Debug)]
pub struct HttpMetrics {
    duration: Histogram<f64>,
}

impl HttpMetrics {
    /// Creates the instruments on the global meter provider (a no-op until telemetry is set
    /// up with an exporter).
    #[must_use]
    pub fn new() -> Self {
        let meter = opentelemetry::global::meter("napoleon-web");
        Self {
            duration: meter
                .f64_histogram("http.server.request.duration")
                .with_unit("s")
                .with_description("Duration of HTTP server requests.")
                .with_boundaries(vec![
                    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                ])
                .build(),
        }
    }
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Adds request spans and HTTP metrics to a service's router. Applied per service (not at the
/// edge) so the route template is known, also when services are nested under `serve all`.
pub fn service_layers(router: Router, metrics: HttpMetrics) -> Router {
    router.layer(middleware::from_fn_with_state(metrics, observe))
}

async fn observe(State(metrics): State<HttpMetrics>, mut request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let request_id = crate::request_id(request.headers())
        .unwrap_or("")
        .to_owned();
    let span = tracing::info_span!(
        "request",
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = Empty,
        request.id = %request_id,
        tenant.id = Empty,
    );
    request
        .extensions_mut()
        .insert(napoleon_identity::RequestSpan(span.clone()));
    let start = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    span.record("http.response.status_code", status);
    if response.status().is_server_error() {
        span.record("otel.status_code", "ERROR");
    }
    metrics.duration.record(
        start.elapsed().as_secs_f64(),
        &[
            KeyValue::new("http.request.method", method),
            KeyValue::new("http.route", route),
            KeyValue::new("http.response.status_code", i64::from(status)),
            KeyValue::new("url.scheme", "http"),
        ],
    );
    response
}
