use async_trait::async_trait;
use casbin::error::AdapterError;
use casbin::{Adapter, Filter, Model};
use napoleon_db::policy::{self, PolicyRule};
use napoleon_db::{Db, TenantConn};
use napoleon_kernel::TenantId;

/// casbin's storage for one tenant's policy: `authz.policy_rules` through diesel-async, each
/// operation in its own tenant-scoped transaction (row-level security applies).
///
/// Changes an administrator makes go through the store directly, together with their journal
/// event in one transaction; this adapter loads policies and writes whole ones (seeding).
pub struct PgPolicyAdapter {
    db: Db,
    tenant: TenantId,
}

impl PgPolicyAdapter {
    /// The adapter of `tenant`'s policy.
    #[must_use]
    pub const fn new(db: Db, tenant: TenantId) -> Self {
        Self { db, tenant }
    }

    async fn run<T>(
        &self,
        f: impl for<'c> FnOnce(
            &'c mut TenantConn,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = Result<T, napoleon_db::DbError>> + Send + 'c>,
        >,
    ) -> casbin::Result<T> {
        let mut tx = self.db.tenant(self.tenant).await.map_err(adapter_error)?;
        let value = f(&mut tx).await.map_err(adapter_error)?;
        tx.commit().await.map_err(adapter_error)?;
        Ok(value)
    }
}

/// Whole rules, as casbin passes them.
type Rules = Vec<Vec<String>>;

#[derive(Clone, Copy)]
enum Change {
    Add,
    Remove,
}

impl PgPolicyAdapter {
    /// Adds or removes whole rules in one transaction; true when a row changed.
    async fn change(&self, change: Change, ptype: &str, values: Rules) -> casbin::Result<bool> {
        let rules = rules(ptype, values);
        let changed = self
            .run(move |tx| {
                Box::pin(async move {
                    match change {
                        Change::Add => policy::add(tx, &rules).await,
                        Change::Remove => policy::remove(tx, &rules).await,
                    }
                })
            })
            .await?;
        Ok(changed > 0)
    }
}

impl std::fmt::Debug for PgPolicyAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPolicyAdapter")
            .field("tenant", &self.tenant)
            .finish_non_exhaustive()
    }
}

fn adapter_error(e: napoleon_db::DbError) -> casbin::Error {
    casbin::Error::AdapterError(AdapterError(Box::new(e)))
}

fn rule(ptype: &str, values: Vec<String>) -> PolicyRule {
    PolicyRule {
        ptype: ptype.to_owned(),
        values,
    }
}

fn rules(ptype: &str, values: Rules) -> Vec<PolicyRule> {
    values.into_iter().map(|v| rule(ptype, v)).collect()
}

fn section(ptype: &str) -> &'static str {
    if ptype.starts_with('g') { "g" } else { "p" }
}

#[async_trait]
impl Adapter for PgPolicyAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let rules = self.run(|tx| Box::pin(policy::load(tx))).await?;
        for r in rules {
            m.add_policy(section(&r.ptype), &r.ptype, r.values);
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(
        &mut self,
        m: &mut dyn Model,
        _f: Filter<'a>,
    ) -> casbin::Result<()> {
        // A tenant's policy is small and already filtered by tenant: load it whole.
        self.load_policy(m).await
    }

    async fn save_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        let mut rules = Vec::new();
        for (sec, ptype) in [("p", "p"), ("g", "g")] {
            rules.extend(
                m.get_policy(sec, ptype)
                    .into_iter()
                    .map(|values| rule(ptype, values)),
            );
        }
        self.run(move |tx| Box::pin(async move { policy::replace(tx, &rules).await }))
            .await
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        self.run(|tx| Box::pin(async move { policy::replace(tx, &[]).await }))
            .await
    }

    fn is_filtered(&self) -> bool {
        false
    }

    // Adding and removing whole rules, one or many, are one operation each (`change`).
    async fn add_policy(&mut self, _: &str, p: &str, v: Vec<String>) -> casbin::Result<bool> {
        self.change(Change::Add, p, vec![v]).await
    }

    async fn add_policies(&mut self, _: &str, p: &str, v: Rules) -> casbin::Result<bool> {
        self.change(Change::Add, p, v).await
    }

    async fn remove_policy(&mut self, _: &str, p: &str, v: Vec<String>) -> casbin::Result<bool> {
        self.change(Change::Remove, p, vec![v]).await
    }

    async fn remove_policies(&mut self, _: &str, p: &str, v: Rules) -> casbin::Result<bool> {
        self.change(Change::Remove, p, v).await
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        ptype: &str,
        field_index: usize,
        field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        let ptype = ptype.to_owned();
        self.run(move |tx| {
            Box::pin(async move {
                let matching: Vec<PolicyRule> = policy::load(tx)
                    .await?
                    .into_iter()
                    .filter(|r| {
                        r.ptype == ptype
                            && field_values.iter().enumerate().all(|(i, v)| {
                                v.is_empty()
                                    || r.values.get(field_index + i).is_some_and(|x| x == v)
                            })
                    })
                    .collect();
                Ok(policy::remove(tx, &matching).await? > 0)
            })
        })
        .await
    }
}
