//! French HTML pages: login (agent choice), errors, logout confirmation. No script, no style.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::config::DevAgent;
use crate::util::html_escape;

/// Content-Security-Policy of every page: nothing may load, nothing may frame us.
/// `form-action` is left open on purpose: browsers apply it to the redirect that follows
/// the login form, which goes to the relying party.
const CSP: &str = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex\">\n<title>{title} — Napoléon (fournisseur d’identité de développement)</title>\n\
         </head>\n<body>\n<header>\n<p>Napoléon — fournisseur d’identité de <strong>développement</strong>, \
         imitant ProConnect. Ne jamais l’utiliser en production.</p>\n</header>\n<main>\n{body}</main>\n</body>\n</html>\n",
        title = html_escape(title),
    )
}

/// An HTML response with the security headers every page carries.
pub(crate) fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A French error page; never redirects anywhere.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>Connexion impossible</h1>\n<p role=\"alert\">{}</p>\n\
         <p>Retournez sur le service d’origine et recommencez la connexion. \
         Si le problème persiste, vérifiez la configuration du client (identifiant, URL de retour).</p>\n",
        html_escape(message)
    );
    html_response(status, page("Erreur", &body))
}

/// The page shown after a logout without `post_logout_redirect_uri`.
pub(crate) fn logged_out_page() -> Response {
    let body = "<h1>Vous êtes déconnecté</h1>\n\
                <p>Votre session auprès du fournisseur d’identité de développement est terminée. \
                Vous pouvez fermer cette page.</p>\n";
    html_response(StatusCode::OK, page("Déconnexion", body))
}

/// What the login page needs to know about the request.
#[derive(Debug)]
pub(crate) struct LoginPage<'a> {
    pub authorize_url: &'a str,
    pub pending_id: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a [String],
    pub acr_requested: &'a [String],
    pub agents: &'a [DevAgent],
}

fn hidden_pending(pending_id: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"pending\" value=\"{}\">",
        html_escape(pending_id)
    )
}

/// The agent chooser: one form and one button per agent, plus a cancel form.
pub(crate) fn login_page(p: &LoginPage<'_>) -> Response {
    let mut body = String::new();
    body.push_str("<h1>Choisissez l’agent avec lequel vous connecter</h1>\n");
    body.push_str(&format!(
        "<p>Le service <strong>{}</strong> demande votre identité \
         (portées demandées : <span>{}</span>).</p>\n",
        html_escape(p.client_id),
        html_escape(&p.scopes.join(" "))
    ));
    if p.acr_requested.is_empty() {
        body.push_str("<p>Aucun niveau d’authentification particulier n’est demandé.</p>\n");
    } else {
        body.push_str(&format!(
            "<p>Niveau d’authentification demandé : <strong>{}</strong>. \
             Comme ProConnect, ce fournisseur transmet le niveau réellement atteint par l’agent \
             (colonne « Niveau ») : c’est au service de le vérifier.</p>\n",
            html_escape(&p.acr_requested.join(", "))
        ));
    }
    if p.agents.is_empty() {
        body.push_str("<p role=\"alert\">Aucun agent de démonstration n’est configuré.</p>\n");
    } else {
        body.push_str(
            "<table>\n<caption>Agents de démonstration</caption>\n<thead>\n<tr>\
             <th scope=\"col\">Agent</th><th scope=\"col\">Ministère</th>\
             <th scope=\"col\">Unité</th><th scope=\"col\">Rôle</th>\
             <th scope=\"col\">Niveau</th><th scope=\"col\">Action</th></tr>\n</thead>\n<tbody>\n",
        );
        for agent in p.agents {
            let name = format!("{} {}", agent.given_name, agent.usual_name);
            let satisfies = p.acr_requested.is_empty() || p.acr_requested.contains(&agent.acr);
            body.push_str(&format!(
                "<tr>\n<th scope=\"row\">{name}<br><small>{email}</small></th>\n\
                 <td>{tenant}</td>\n<td>{unit}</td>\n<td>{role}</td>\n<td>{acr}{warning}</td>\n\
                 <td><form method=\"post\" action=\"{action}\">{hidden}\
                 <input type=\"hidden\" name=\"sub\" value=\"{sub}\">\
                 <button type=\"submit\">Se connecter en tant que {name}</button></form></td>\n</tr>\n",
                name = html_escape(&name),
                email = html_escape(&agent.email),
                tenant = html_escape(&agent.tenant_label),
                unit = html_escape(&agent.unit_label),
                role = html_escape(&agent.role_label),
                acr = html_escape(&agent.acr),
                warning = if satisfies {
                    ""
                } else {
                    " (ne correspond pas au niveau demandé)"
                },
                action = html_escape(p.authorize_url),
                hidden = hidden_pending(p.pending_id),
                sub = html_escape(&agent.sub),
            ));
        }
        body.push_str("</tbody>\n</table>\n");
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"{}\">{}<input type=\"hidden\" name=\"cancel\" value=\"1\">\
         <button type=\"submit\">Annuler et revenir au service</button></form>\n",
        html_escape(p.authorize_url),
        hidden_pending(p.pending_id)
    ));
    html_response(StatusCode::OK, page("Connexion", &body))
}
