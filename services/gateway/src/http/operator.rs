//! Platform operators: they create tenants (with their ministry unit, default policy,
//! national catalogue and first administrator) and watch the platform's health. Being an
//! operator grants no role in any tenant: operators never see dossier contents.

use axum::Extension;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use napoleon_db::identity;
use napoleon_db::migrate::Readiness;
use napoleon_kernel::{Email, OrgUnitCode, TenantSlug};
use napoleon_web::{FormFields, IdPaths, WebResult};
use serde::{Deserialize, Serialize};

use super::render;
use crate::domain;
use crate::{GatewayState, RequestAgent};

#[derive(Serialize, Debug)]
struct AdmissionLine {
    id: String,
    label: String,
}

#[derive(Serialize, Debug)]
struct TenantLine {
    id: String,
    name: String,
    slug: String,
    is_sandbox: bool,
    admissions: Vec<AdmissionLine>,
    providers: Vec<ProviderChoice>,
    idp_ids: String,
    acr: Vec<AcrChoice>,
    /// What the tenant requires, as read on screen.
    acr_label: String,
    /// Why its login settings were just refused.
    login_error: Option<&'static str>,
}

#[derive(Serialize, Debug, Clone)]
struct ProviderChoice {
    index: usize,
    label: String,
    trusted: bool,
}

#[derive(Serialize, Debug)]
struct AcrChoice {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Serialize, Debug)]
struct OperatorLine {
    email: String,
    issuer: String,
    pinned_at: Option<String>,
}

/// The levels an operator may require of a tenant's logins, weakest first (ProConnect's
/// ordered `acr` values; see `napoleon_kernel::proconnect::ACR_ORDER`).
const ACR_LABELS: [(&str, &str); 6] = [
    ("eidas0", "eidas0 : identité déclarée"),
    (
        "eidas0-mfa",
        "eidas0-mfa : identité déclarée, double facteur",
    ),
    ("eidas1", "eidas1 : niveau faible"),
    ("eidas1-mfa", "eidas1-mfa : niveau faible, double facteur"),
    ("eidas2", "eidas2 : niveau substantiel"),
    ("eidas3", "eidas3 : niveau élevé"),
];

#[derive(Serialize, Debug, Default)]
struct FormErrors {
    slug: Option<&'static str>,
    name: Option<&'static str>,
    code: Option<&'static str>,
    admin: Option<&'static str>,
    providers: Option<&'static str>,
    idp_ids: Option<&'static str>,
    taken: bool,
    admission: bool,
    /// The tenant whose login settings were refused, and why.
    login: Option<LoginErrors>,
}

#[derive(Serialize, Debug)]
struct LoginErrors {
    tenant: String,
    message: &'static str,
}

#[derive(Serialize, Debug)]
struct OperatorView {
    ready: bool,
    readiness: &'static str,
    pool_open: usize,
    pool_idle: usize,
    pool_max: usize,
    tenants: Vec<TenantLine>,
    operators: Vec<OperatorLine>,
    form: TenantForm,
    errors: Option<FormErrors>,
    csrf: String,
}

#[derive(Serialize, Debug, Default, Clone)]
pub(crate) struct TenantForm {
    slug: String,
    name: String,
    code: String,
    admin: String,
    sandbox: bool,
    /// The providers ticked (by position in the configuration), as typed.
    providers: Vec<ProviderChoice>,
    idp_ids: String,
}

impl TenantForm {
    /// The creation form as sent (`trust-<n>`: the n-th configured provider).
    fn from_fields(fields: &FormFields, configured: &[(String, String)]) -> Self {
        Self {
            slug: fields.get("slug").to_owned(),
            name: fields.get("name").to_owned(),
            code: fields.get("code").to_owned(),
            admin: fields.get("admin").to_owned(),
            sandbox: fields.has("sandbox"),
            providers: provider_choices(configured, |i, _| fields.has(&format!("trust-{i}"))),
            idp_ids: fields.get("idp_ids").to_owned(),
        }
    }

    /// An empty form, no provider ticked: an operator says which ones the ministry trusts.
    fn empty(configured: &[(String, String)]) -> Self {
        Self {
            providers: provider_choices(configured, |_, _| false),
            ..Self::default()
        }
    }
}

/// The configured providers, each ticked or not.
fn provider_choices(
    configured: &[(String, String)],
    ticked: impl Fn(usize, &str) -> bool,
) -> Vec<ProviderChoice> {
    configured
        .iter()
        .enumerate()
        .map(|(index, (label, issuer))| ProviderChoice {
            index,
            label: label.clone(),
            trusted: ticked(index, issuer),
        })
        .collect()
}

/// ProConnect idp ids typed as a list (spaces or commas), if each is well formed.
fn parse_idp_ids(text: &str) -> Option<Vec<String>> {
    let ids: Vec<String> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect();
    (ids.len() <= 50 && ids.iter().all(|v| valid_admission_value(v))).then_some(ids)
}

const IDP_IDS_RULE: &str = "Identifiants de fournisseurs ProConnect (idp_id) : 50 au plus, séparés par des espaces, chacun de 3 à 200 caractères parmi lettres, chiffres, « . », « - » et « _ ».";

/// The operators' page; `form` is the creation form as typed (none: empty).
async fn page(
    state: &GatewayState,
    agent: &RequestAgent,
    form: Option<TenantForm>,
    errors: Option<FormErrors>,
) -> WebResult<Response> {
    let domain::operator::Overview {
        readiness,
        pool: (pool_open, pool_idle, pool_max),
        tenants: listed,
        operators,
    } = domain::operator::overview(state, agent).await?;
    let configured = state.cfg.providers.labelled_issuers();
    let form = form.unwrap_or_else(|| TenantForm::empty(&configured));
    let mut tenants = Vec::new();
    for (t, rules) in listed {
        let providers = provider_choices(&configured, |_, issuer| {
            t.trusted_issuers.iter().any(|i| i == issuer)
        });
        let required = t.required_acr.first().map(String::as_str);
        let acr_label = if t.required_acr.is_empty() {
            "Aucune exigence".to_owned()
        } else {
            t.required_acr.join(", ")
        };
        tenants.push(TenantLine {
            providers,
            idp_ids: t.trusted_idp_ids.join(" "),
            acr: ACR_LABELS
                .iter()
                .map(|(value, label)| AcrChoice {
                    value,
                    label,
                    selected: required == Some(*value),
                })
                .collect(),
            acr_label,
            login_error: errors
                .as_ref()
                .and_then(|e| e.login.as_ref())
                .filter(|l| l.tenant == t.id.to_string())
                .map(|l| l.message),
            id: t.id.to_string(),
            name: t.name,
            slug: t.slug.to_string(),
            is_sandbox: t.is_sandbox,
            admissions: rules
                .iter()
                .map(|r| AdmissionLine {
                    id: r.id.to_string(),
                    label: admission_label(r),
                })
                .collect(),
        });
    }
    let status = if errors.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = OperatorView {
        ready: readiness == Readiness::Ready,
        readiness: readiness.code(),
        pool_open,
        pool_idle,
        pool_max,
        tenants,
        operators: operators
            .into_iter()
            .map(|o| OperatorLine {
                email: o.email.expose().to_owned(),
                issuer: o.issuer,
                pinned_at: o
                    .pinned_at
                    .map(|at| at.format("%d/%m/%Y à %H:%M UTC").to_string()),
            })
            .collect(),
        form,
        errors,
        csrf: agent.csrf.clone(),
    };
    let mut response = render(
        state,
        "operator",
        "Exploitation de la plateforme",
        &view,
        Some(agent),
    )?
    .into_response();
    *response.status_mut() = status;
    Ok(response)
}

pub(crate) async fn overview(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
) -> WebResult<Response> {
    page(&state, &agent, None, None).await
}

pub(crate) async fn create_tenant(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    fields: FormFields,
) -> WebResult<Response> {
    let configured = state.cfg.providers.labelled_issuers();
    let form = TenantForm::from_fields(&fields, &configured);
    let slug = TenantSlug::parse(form.slug.trim());
    let code = OrgUnitCode::parse(form.code.trim());
    let admin = Email::parse(&form.admin);
    let name = form.name.trim();
    // The providers through which the first administrator (and every grant to an e-mail)
    // may be claimed: chosen, never all by default.
    let issuers: Vec<String> = configured
        .iter()
        .zip(&form.providers)
        .filter(|(_, choice)| choice.trusted)
        .map(|((_, issuer), _)| issuer.clone())
        .collect();
    let idp_ids = parse_idp_ids(&form.idp_ids);
    let (Ok(slug), Ok(code), Ok(admin), false, false, Some(idp_ids)) = (
        &slug,
        &code,
        &admin,
        name.is_empty() || name.len() > 200,
        issuers.is_empty(),
        idp_ids,
    ) else {
        let errors = FormErrors {
            slug: slug.is_err().then_some("Identifiant : 2 à 40 caractères parmi a-z, 0-9 et « - », par exemple « justice »."),
            name: (name.is_empty() || name.len() > 200).then_some("Saisissez le nom officiel du ministère (200 caractères au plus)."),
            code: code.is_err().then_some("Code : 1 à 20 caractères parmi A-Z, 0-9 et « - », par exemple « MJ »."),
            admin: admin.is_err().then_some("Saisissez l'adresse électronique professionnelle du premier administrateur ministériel."),
            providers: issuers.is_empty().then_some("Fournisseurs d'identité de confiance : cochez au moins celui par lequel le premier administrateur se connectera."),
            idp_ids: parse_idp_ids(&form.idp_ids).is_none().then_some(IDP_IDS_RULE),
            ..FormErrors::default()
        };
        return page(&state, &agent, Some(form), Some(errors)).await;
    };
    let created = domain::operator::create_tenant(
        &state,
        &agent,
        &domain::operator::NewMinistry {
            slug,
            name,
            code,
            admin,
            sandbox: form.sandbox,
            issuers: &issuers,
            idp_ids: &idp_ids,
        },
    )
    .await?;
    if !created {
        let errors = FormErrors {
            taken: true,
            ..FormErrors::default()
        };
        return page(&state, &agent, Some(form), Some(errors)).await;
    }
    Ok(Redirect::to("/exploitation").into_response())
}

/// How a rule reads on screen.
pub(crate) fn admission_label(rule: &identity::AdmissionRule) -> String {
    match rule.kind {
        identity::AdmissionKind::EmailDomain => format!("Adresses en @{}", rule.value),
        identity::AdmissionKind::IdpId => format!("Fournisseur d'identité {}", rule.value),
    }
}

#[derive(Deserialize, Debug, Default)]
pub(crate) struct AdmissionForm {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
}

/// A domain (`justice.gouv.fr`) or a ProConnect idp id: letters, digits, `.`, `-`, `_`.
fn valid_admission_value(value: &str) -> bool {
    (3..=200).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Admission rules are set by operators, not by tenant administrators: a rule admits every
/// agent of a domain or identity provider, so a ministry could otherwise enrol another's
/// agents (and see their names). Operators know which ministry owns which domain.
pub(crate) async fn add_admission(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    Form(form): Form<AdmissionForm>,
) -> WebResult<Response> {
    let kind = identity::AdmissionKind::parse(&form.kind);
    let value = form.value.trim().trim_start_matches('@').to_lowercase();
    let tenant = match TenantSlug::parse(form.tenant.trim()) {
        Ok(slug) => domain::operator::find_tenant(&state, &slug).await?,
        Err(_) => None,
    };
    let (Some(kind), Some(tenant)) = (kind.filter(|_| valid_admission_value(&value)), tenant)
    else {
        let errors = FormErrors {
            admission: true,
            ..FormErrors::default()
        };
        return page(&state, &agent, None, Some(errors)).await;
    };
    domain::operator::add_admission(&state, &agent, tenant.id, kind, &value).await?;
    Ok(Redirect::to("/exploitation").into_response())
}

pub(crate) async fn remove_admission(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    IdPaths(tenant, id): IdPaths<napoleon_kernel::TenantId, uuid::Uuid>,
) -> WebResult<Response> {
    domain::operator::remove_admission(&state, &agent, tenant, id).await?;
    Ok(Redirect::to("/exploitation").into_response())
}

/// POST /exploitation/ministeres/{tenant}/connexion: the providers (`trust-<n>`, the n-th
/// configured one) and ProConnect idps (`idp_ids`, separated by spaces or commas) trusted with
/// e-mail grants and admission rules, and the level (`acr`) a session must reach.
pub(crate) async fn set_login(
    State(state): State<GatewayState>,
    Extension(agent): Extension<RequestAgent>,
    napoleon_web::IdPath(tenant): napoleon_web::IdPath<napoleon_kernel::TenantId>,
    form: FormFields,
) -> WebResult<Response> {
    let refuse = |message: &'static str| FormErrors {
        login: Some(LoginErrors {
            tenant: tenant.to_string(),
            message,
        }),
        ..FormErrors::default()
    };
    let issuers: Vec<String> = state
        .cfg
        .providers
        .issuers()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| form.has(&format!("trust-{i}")))
        .map(|(_, issuer)| issuer)
        .collect();
    let Some(idp_ids) = parse_idp_ids(form.get("idp_ids")) else {
        let errors = refuse(IDP_IDS_RULE);
        return page(&state, &agent, None, Some(errors)).await;
    };
    let acr = match form.get("acr") {
        "" => Vec::new(),
        value => match ACR_LABELS.iter().find(|(v, _)| *v == value) {
            Some((v, _)) => vec![(*v).to_owned()],
            None => {
                let errors = refuse(
                    "Niveau d'authentification exigé : choisissez un des niveaux proposés, ou aucune exigence.",
                );
                return page(&state, &agent, None, Some(errors)).await;
            }
        },
    };
    domain::operator::set_login(
        &state,
        &agent,
        tenant,
        &domain::operator::LoginSettings {
            issuers,
            idp_ids,
            acr,
        },
    )
    .await?;
    Ok(Redirect::to("/exploitation").into_response())
}
