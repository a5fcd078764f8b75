//! The tenant's authorization policy as its administrator edits it: which role may do what.
//! Saving applies the difference in one transaction with its journal events; the policy
//! version changes, so every instance reloads it at its next request.

use std::collections::BTreeSet;

use napoleon_authz::{Action, Permission, Resource, Scope, perm};
use napoleon_db::journal::{self, Actor, EventKind, Subject};
use napoleon_kernel::Role;
use napoleon_web::{ActionError, ActionResult, FieldError};

use super::begin;
use crate::store::policy::{self, PolicyRule};
use crate::{GatewayState, RequestAgent};

/// Rules an administrator may not remove from their own role: the tenant would lose the
/// ability to ever change its policy or members again.
pub(crate) const LOCKOUT: [(Role, Resource, Action); 4] = [
    (Role::Administrateur, Resource::Policy, Action::Read),
    (Role::Administrateur, Resource::Policy, Action::Manage),
    (Role::Administrateur, Resource::Members, Action::Read),
    (Role::Administrateur, Resource::Members, Action::Manage),
];

/// Why removing one of [`LOCKOUT`] is refused.
pub(crate) const LOCKOUT_REFUSED: &str = "L'administrateur ministériel doit garder la gestion des membres et de la politique : sans elles, plus personne ne pourrait modifier les accès de ce ministère.";

/// A rule's key as the page's checkboxes carry it: `role:resource:action`.
pub(crate) fn key(role: Role, permission: Permission) -> String {
    format!(
        "{}:{}:{}",
        role.as_str(),
        permission.resource.as_str(),
        permission.action.as_str()
    )
}

fn current_keys(rules: &[PolicyRule], tenant: &str) -> BTreeSet<String> {
    rules
        .iter()
        .filter(|r| r.ptype == "p" && r.values.get(1).map(String::as_str) == Some(tenant))
        .filter_map(|r| match r.values.as_slice() {
            [role, _, resource, action] => Some(format!("{role}:{resource}:{action}")),
            _ => None,
        })
        .collect()
}

/// The rule a checkbox's key stands for, in `tenant` (none for an unknown role, resource or
/// action: the page never sends one).
pub(crate) fn rule(tenant: &str, key: &str) -> Option<PolicyRule> {
    let mut parts = key.split(':');
    let (role, resource, action) = (parts.next()?, parts.next()?, parts.next()?);
    Role::parse(role).ok()?;
    Permission::parse(resource, action)?;
    Some(PolicyRule {
        ptype: "p".to_owned(),
        values: vec![
            role.to_owned(),
            tenant.to_owned(),
            resource.to_owned(),
            action.to_owned(),
        ],
    })
}

/// The keys of the tenant's rules.
pub(crate) async fn current(
    state: &GatewayState,
    agent: &RequestAgent,
) -> ActionResult<BTreeSet<String>> {
    let (mut tx, access) = begin(state, agent).await?;
    access.require::<perm::PolicyRead>(Scope::Ministry)?;
    let tenant = tx.tenant().to_string();
    let rules = policy::load(&mut tx).await?;
    tx.rollback().await;
    Ok(current_keys(&rules, &tenant))
}

/// Makes the tenant's rules exactly `wanted` (keys of known rules), journaling what was added
/// and what was removed.
pub(crate) async fn save(
    state: &GatewayState,
    agent: &RequestAgent,
    wanted: &BTreeSet<String>,
) -> ActionResult<()> {
    let (mut tx, access) = begin(state, agent).await?;
    let manage = access.authorize::<perm::PolicyManage>(Scope::Ministry)?;
    // Checked here, not only by the page: no caller may lock the tenant out of its policy.
    if LOCKOUT
        .iter()
        .any(|(r, res, act)| !wanted.contains(&key(*r, Permission::new(*res, *act))))
    {
        return Err(ActionError::Invalid(vec![FieldError::new(
            "r",
            LOCKOUT_REFUSED,
        )]));
    }
    let tenant_text = tx.tenant().to_string();
    let current = current_keys(&policy::load(&mut tx).await?, &tenant_text);
    let to_add: Vec<PolicyRule> = wanted
        .difference(&current)
        .filter_map(|k| rule(&tenant_text, k))
        .collect();
    let to_remove: Vec<PolicyRule> = current
        .difference(wanted)
        .filter_map(|k| rule(&tenant_text, k))
        .collect();
    let added = policy::add(&mut tx, &to_add).await?;
    let removed = policy::remove(&mut tx, &to_remove).await?;
    let actor = Actor::Agent(manage.agent());
    if added > 0 {
        let rules: Vec<&Vec<String>> = to_add.iter().map(|r| &r.values).collect();
        journal::append(
            &mut tx,
            actor,
            Subject::Policy,
            EventKind::PolicyRulesAdded,
            serde_json::json!({ "rules": rules }),
        )
        .await?;
    }
    if removed > 0 {
        let rules: Vec<&Vec<String>> = to_remove.iter().map(|r| &r.values).collect();
        journal::append(
            &mut tx,
            actor,
            Subject::Policy,
            EventKind::PolicyRulesRemoved,
            serde_json::json!({ "rules": rules }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
