//! `napoleon.dossiers`: how many dossiers each tenant has in each state, for operators'
//! dashboards. Counting needs the database, and gauge callbacks cannot wait for it, so a
//! task refreshes a snapshot that the callback reads.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use napoleon_db::{Db, contracts, core};
use napoleon_rules::dossier::DossierState;
use opentelemetry::KeyValue;
use opentelemetry::metrics::ObservableGauge;

type Snapshot = Arc<Mutex<Vec<(String, &'static str, i64)>>>;

/// The gauge and the task that refreshes it every `every`; both live as long as they are held.
#[derive(Debug)]
pub struct DossierGauge {
    _gauge: ObservableGauge<i64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DossierGauge {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn refresh(db: &Db) -> Result<Vec<(String, &'static str, i64)>, napoleon_db::DbError> {
    let tenants = {
        let mut conn = db.platform().await?;
        core::list_tenants(&mut conn).await?
    };
    let mut out = Vec::new();
    for tenant in tenants {
        let mut tx = db.tenant(tenant.id).await?;
        let counts = contracts::state_counts(&mut tx, None).await?;
        tx.rollback().await;
        // Every state, zeros included: a state that empties must read 0, not vanish.
        for state in DossierState::ALL {
            let n = counts
                .iter()
                .find(|(s, _)| *s == state)
                .map_or(0, |(_, n)| *n);
            out.push((tenant.id.to_string(), state.as_str(), n));
        }
    }
    Ok(out)
}

/// Starts the gauge (call once per process that serves intake).
#[must_use]
pub fn dossier_gauge(db: Db, every: Duration) -> DossierGauge {
    let snapshot: Snapshot = Arc::default();
    let read = Arc::clone(&snapshot);
    let gauge = opentelemetry::global::meter("napoleon-intake")
        .i64_observable_gauge("napoleon.dossiers")
        .with_description("Dossiers per tenant and state.")
        .with_callback(move |observer| {
            if let Ok(rows) = read.lock() {
                for (tenant, state, n) in rows.iter() {
                    observer.observe(
                        *n,
                        &[
                            KeyValue::new("tenant.id", tenant.clone()),
                            KeyValue::new("dossier.state", *state),
                        ],
                    );
                }
            }
        })
        .build();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match refresh(&db).await {
                Ok(rows) => {
                    if let Ok(mut s) = snapshot.lock() {
                        *s = rows;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "dossier gauge: counting failed"),
            }
        }
    });
    DossierGauge {
        _gauge: gauge,
        task,
    }
}
