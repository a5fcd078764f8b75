//! The HTTP server loop every process runs (instead of `axum::serve`, which sets no timer, so
//! hyper's header-read timeout never applies): HTTP/1.1 with a bounded header size, a
//! header-read timeout, a cap on open connections, the peer address in each request's
//! extensions (for the per-client limit), and a graceful stop.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// What the server loop bounds.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// A client that has not sent a whole request head in this time is disconnected (it
    /// would otherwise hold a connection open forever: « slowloris »).
    pub header_read_timeout: Duration,
    /// Request line and headers, in bytes (hyper answers 431 beyond).
    pub max_header_bytes: usize,
    /// Headers per request (hyper answers 431 beyond).
    pub max_headers: usize,
    /// Connections open at once; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// How long a stop waits for requests in flight before closing their connections.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 64 * 1024,
            max_headers: 100,
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// TLS for the server loop: the certificate chain and key, PEM files (the services between
/// pods, the chart's `internalTls`; the gateway from the ingress, `ingress.backendTls`).
///
/// # Errors
/// A message naming the file that cannot be read or used (never its contents).
pub fn tls_acceptor(
    cert_file: &std::path::Path,
    key_file: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_file)
        .and_then(Iterator::collect)
        .map_err(|e| format!("{}: {e}", cert_file.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", cert_file.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("{}: {e}", key_file.display()))?;
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("{}: {e}", key_file.display()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in flight
/// finish (up to [`ServerLimits::shutdown_grace`]). With `tls`, each connection is TLS
/// (its handshake bounded like a request head).
///
/// # Errors
/// Never for a client's fault: a failed connection is logged and dropped. Only when the
/// listener itself fails for good.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // hyper needs a buffer at least 8 KiB; the header limit applies within it.
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_header_size(limits.max_header_bytes)
        .max_headers(limits.max_headers)
        .keep_alive(true);
    let http = Arc::new(http);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_closed) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error.detail = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone().map_request(
            move |request: http::Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        ));
        match &tls {
            None => {
                let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error.detail = %e, "connection ended with an error");
                    }
                    drop(permit);
                });
            }
            Some(acceptor) => {
                let (acceptor, http) = (acceptor.clone(), Arc::clone(&http));
                let watcher = graceful.watcher();
                let handshake = limits.header_read_timeout;
                tokio::spawn(async move {
                    match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let conn =
                                watcher.watch(http.serve_connection(TokioIo::new(tls), service));
                            if let Err(e) = conn.await {
                                tracing::debug!(error.detail = %e, "connection ended with an error");
                            }
                        }
                        Ok(Err(e)) => tracing::debug!(error.detail = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake too slow"),
                    }
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {},
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!("requests still in flight at the end of the grace period");
        }
    }
    Ok(())
}
