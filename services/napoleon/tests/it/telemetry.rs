//! Telemetry over OTLP: the real binary exports to a real OTLP/gRPC receiver started here;
//! spans carry `service.name`, `http.route` and `tenant.id` and no personal data; metrics
//! arrive (HTTP server duration, logins, database pool).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use napoleon_testkit::TestDb;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value;

use crate::proconnect::{free_port, proconnect_like, providers_env, through_provider};
use napoleon_testkit::Browser;

#[derive(Clone, Default)]
struct Receiver {
    traces: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    metrics: Arc<Mutex<Vec<ExportMetricsServiceRequest>>>,
    /// Woken at every export, so the test waits for deliveries, not for time.
    arrived: Arc<tokio::sync::Notify>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.traces.lock().unwrap().push(request.into_inner());
        self.arrived.notify_one();
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        self.metrics.lock().unwrap().push(request.into_inner());
        self.arrived.notify_one();
        Ok(tonic::Response::new(ExportMetricsServiceResponse {
            partial_success: None,
        }))
    }
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            Value::StringValue(s) => Some(s.clone()),
            Value::IntValue(i) => Some(i.to_string()),
            _ => None,
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn spans_and_metrics_reach_an_otlp_receiver_without_personal_data() {
    let receiver = Receiver::default();
    let otlp_port = free_port();
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(receiver.clone()))
        .add_service(MetricsServiceServer::new(receiver.clone()))
        .serve(format!("127.0.0.1:{otlp_port}").parse().unwrap());
    tokio::spawn(server);

    let db = TestDb::new().await.unwrap();
    napoleon::demo::seed(&db.app_db().unwrap(), &[])
        .await
        .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let (_peer, provider, _dir) = proconnect_like(&base).await;
    napoleon_testkit::trust_issuer(
        &mut TestDb::connect(&db.admin_url()).await.unwrap(),
        &provider.issuer,
    )
    .await;
    let _napoleon = crate::split::start(
        "all",
        &db,
        &[
            ("NAPOLEON__SERVER__PUBLIC_URL", base.clone()),
            ("NAPOLEON__OIDC__PROVIDERS", providers_env(&provider)),
            ("NAPOLEON__LOG__FILTER", "info".to_owned()),
            ("OTEL_SDK_DISABLED", "false".to_owned()),
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                format!("http://127.0.0.1:{otlp_port}"),
            ),
            ("OTEL_BSP_SCHEDULE_DELAY", "200".to_owned()),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500".to_owned()),
        ],
        port,
    )
    .await;

    let mut browser = Browser::new();
    let start = browser.get(&format!("{base}/connexion/proconnect")).await;
    let callback = through_provider(&mut browser, start, &base, "agent-claire").await;
    assert_eq!(browser.get(&callback).await.status, 303);
    let (status, identity) = browser
        .get_json(&format!("{base}/intake/api/v1/identity"))
        .await;
    assert_eq!(status, 200);
    let tenant = identity["tenant"].as_str().unwrap().to_owned();

    // Wait for the batch exporters: each delivery wakes the test, within fifteen seconds.
    let mut found = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        let traces = receiver.traces.lock().unwrap().clone();
        let metrics = receiver.metrics.lock().unwrap().clone();
        let spans: Vec<_> = traces
            .iter()
            .flat_map(|r| r.resource_spans.iter())
            .flat_map(|rs| {
                let service = rs
                    .resource
                    .as_ref()
                    .and_then(|r| text(&r.attributes, "service.name"));
                rs.scope_spans
                    .iter()
                    .flat_map(|ss| ss.spans.iter())
                    .map(move |s| (service.clone(), s.clone()))
            })
            .collect();
        let metric_names: Vec<String> = metrics
            .iter()
            .flat_map(|r| r.resource_metrics.iter())
            .flat_map(|rm| rm.scope_metrics.iter())
            .flat_map(|sm| sm.metrics.iter())
            .map(|m| m.name.clone())
            .collect();
        let request_span = spans.iter().find(|(_, s)| {
            text(&s.attributes, "http.route").as_deref() == Some("/intake/{*rest}")
                && text(&s.attributes, "tenant.id").as_deref() == Some(tenant.as_str())
        });
        let wanted_metrics = [
            "http.server.request.duration",
            "napoleon.logins",
            "db.client.connection.count",
            "napoleon.dossiers",
        ];
        if let Some((service, span)) = request_span
            && wanted_metrics
                .iter()
                .all(|m| metric_names.iter().any(|n| n == m))
        {
            assert_eq!(service.as_deref(), Some("napoleon-all"));
            // Dossiers per state come per tenant, and name the state.
            let dossier_points: Vec<_> = metrics
                .iter()
                .flat_map(|r| r.resource_metrics.iter())
                .flat_map(|rm| rm.scope_metrics.iter())
                .flat_map(|sm| sm.metrics.iter())
                .filter(|m| m.name == "napoleon.dossiers")
                .filter_map(|m| match &m.data {
                    Some(opentelemetry_proto::tonic::metrics::v1::metric::Data::Gauge(g)) => {
                        Some(g.data_points.clone())
                    }
                    _ => None,
                })
                .flatten()
                .collect();
            assert!(
                dossier_points.iter().any(|p| {
                    text(&p.attributes, "tenant.id").as_deref() == Some(tenant.as_str())
                        && text(&p.attributes, "dossier.state").as_deref() == Some("depose")
                }),
                "napoleon.dossiers has a point per tenant and state"
            );
            assert_eq!(
                text(&span.attributes, "http.response.status_code").as_deref(),
                Some("200")
            );
            // No personal data in any attribute of any span.
            for (_, s) in &spans {
                for kv in &s.attributes {
                    let value = text(std::slice::from_ref(kv), &kv.key)
                        .unwrap_or_default()
                        .to_lowercase();
                    assert!(
                        !value.contains("claire")
                            && !value.contains("martin")
                            && !value.contains('@'),
                        "{}={value}",
                        kv.key
                    );
                }
            }
            found = true;
            break;
        }
        let _woken = tokio::time::timeout_at(deadline, receiver.arrived.notified()).await;
    }
    if !found {
        let traces = receiver.traces.lock().unwrap().clone();
        let metrics = receiver.metrics.lock().unwrap().clone();
        let seen: Vec<String> = traces
            .iter()
            .flat_map(|r| r.resource_spans.iter())
            .flat_map(|rs| rs.scope_spans.iter().flat_map(|ss| ss.spans.iter()))
            .map(|s| {
                format!(
                    "{} route={:?} tenant={:?}",
                    s.name,
                    text(&s.attributes, "http.route"),
                    text(&s.attributes, "tenant.id")
                )
            })
            .collect();
        let names: Vec<String> = metrics
            .iter()
            .flat_map(|r| r.resource_metrics.iter())
            .flat_map(|rm| rm.scope_metrics.iter())
            .flat_map(|sm| sm.metrics.iter())
            .map(|m| m.name.clone())
            .collect();
        panic!(
            "expected spans and metrics did not arrive; spans: {seen:#?}; metrics: {names:?}; tenant {tenant}"
        );
    }
    db.finish().await;
}
