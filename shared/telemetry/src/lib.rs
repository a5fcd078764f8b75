//! Logs, traces and metrics for every Napoléon process.
//!
//! * Logs: `tracing` to stderr, human-readable or JSON (one object per line, for collectors).
//! * Traces and metrics: OpenTelemetry over OTLP/gRPC **only when** the standard
//!   `OTEL_EXPORTER_OTLP_ENDPOINT` (or its per-signal variant) is set, and `OTEL_SDK_DISABLED`
//!   is not `true`; quiet otherwise. The other standard `OTEL_*` variables (headers, timeouts,
//!   `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, export intervals) are honoured by the SDK.
//! * `service.name` defaults to `napoleon-<service>`.
//!
//! Personal data never reaches these signals: it is wrapped in `napoleon_kernel::Personal`,
//! whose `Debug`/`Display` are masked, and request spans record only route templates.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// For people at a terminal.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Why telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The log filter does not parse.
    #[error("invalid log filter {filter:?}: {detail}")]
    Filter {
        /// The filter text.
        filter: String,
        /// Why.
        detail: String,
    },
    /// An OTLP exporter could not be built.
    #[error("OTLP exporter: {0}")]
    Exporter(String),
    /// A global subscriber was already installed.
    #[error("telemetry already initialised: {0}")]
    AlreadyInitialised(String),
}

/// Keeps the exporters alive; flushes and shuts them down when dropped.
#[derive(Debug)]
pub struct TelemetryGuard {
    tracer: Option<SdkTracerProvider>,
    meter: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// True when OTLP export is on.
    #[must_use]
    pub const fn exporting(&self) -> bool {
        self.tracer.is_some()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(tracer) = self.tracer.take()
            && let Err(e) = tracer.shutdown()
        {
            eprintln!("telemetry: trace shutdown: {e}");
        }
        if let Some(meter) = self.meter.take()
            && let Err(e) = meter.shutdown()
        {
            eprintln!("telemetry: metrics shutdown: {e}");
        }
    }
}

fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// True when the standard variables ask for OTLP export.
#[must_use]
pub fn otlp_requested() -> bool {
    let disabled = std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    !disabled
        && (env_set("OTEL_EXPORTER_OTLP_ENDPOINT")
            || env_set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            || env_set("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))
}

fn resource(service: &str) -> Resource {
    let builder = Resource::builder();
    if env_set("OTEL_SERVICE_NAME") {
        builder.build()
    } else {
        builder
            .with_service_name(format!("napoleon-{service}"))
            .build()
    }
}

/// Installs the global subscriber (and, when requested, the OTLP pipelines). Call once, inside
/// the tokio runtime. `filter` is an `EnvFilter` directive; `RUST_LOG` overrides it.
///
/// # Errors
/// [`TelemetryError`] naming what failed.
pub fn init(
    service: &str,
    format: LogFormat,
    filter: &str,
) -> Result<TelemetryGuard, TelemetryError> {
    let directives = std::env::var("RUST_LOG").unwrap_or_else(|_| filter.to_owned());
    let env_filter = EnvFilter::try_new(&directives).map_err(|e| TelemetryError::Filter {
        filter: directives.clone(),
        detail: e.to_string(),
    })?;
    let fmt_layer = match format {
        LogFormat::Pretty => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(std::io::stderr)
            .with_current_span(true)
            .boxed(),
    };

    let (tracer, meter, otel_layer) = if otlp_requested() {
        let resource = resource(service);
        let spans = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        let tracer_provider = SdkTracerProvider::builder()
            .with_batch_exporter(spans)
            .with_resource(resource.clone())
            .build();
        let metrics = opentelemetry_otlp::MetricExporter::builder()
            .with_tonic()
            .build()
            .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
        let meter_provider = SdkMeterProvider::builder()
            .with_periodic_exporter(metrics)
            .with_resource(resource)
            .build();
        opentelemetry::global::set_meter_provider(meter_provider.clone());
        opentelemetry::global::set_tracer_provider(tracer_provider.clone());
        let layer = tracing_opentelemetry::layer()
            .with_tracer(tracer_provider.tracer("napoleon"))
            // The exporter's own transport must not trace itself into a feedback loop.
            .with_filter(EnvFilter::new(
                "info,h2=off,tonic=off,hyper=off,tower=off,opentelemetry=off",
            ));
        (Some(tracer_provider), Some(meter_provider), Some(layer))
    } else {
        (None, None, None)
    };

    tracing_subscriber::registry()
        .with(env_filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()
        .map_err(|e| TelemetryError::AlreadyInitialised(e.to_string()))?;
    Ok(TelemetryGuard { tracer, meter })
}
