//! The campaigns whose list the agent may read, with their counts and the list's status.

use axum::Extension;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use napoleon_identity::Identity;
use napoleon_rules::fr_date;
use napoleon_web::{WebContext, WebResult};
use serde::Serialize;

use super::board_href;
use crate::domain::{self, CampaignSummary, ListStatus};

#[derive(Serialize)]
struct CampaignRow {
    href: String,
    label: String,
    promotion: String,
    on_list: u32,
    undecided: u32,
    retained: u32,
    status: &'static str,
    open: bool,
    published: bool,
}

#[derive(Serialize)]
struct CampaignsView {
    campaigns: Vec<CampaignRow>,
}

fn status_badge(list: &ListStatus) -> &'static str {
    match list {
        ListStatus::Open => "Ouverte",
        ListStatus::Closed { .. } => "Close",
        ListStatus::Published { .. } => "Publiée",
    }
}

fn campaign_row(s: &CampaignSummary) -> CampaignRow {
    CampaignRow {
        href: board_href(s.campaign.id),
        label: s.campaign.label.clone(),
        promotion: fr_date(s.campaign.promotion_date),
        on_list: s.on_list,
        undecided: s.undecided,
        retained: s.retained,
        status: status_badge(&s.list),
        open: s.list.is_open(),
        published: matches!(s.list, ListStatus::Published { .. }),
    }
}

pub(crate) async fn campaigns(
    State(ctx): State<WebContext>,
    Extension(identity): Extension<Identity>,
) -> WebResult<Response> {
    let list = domain::campaigns(&ctx, &identity).await?;
    let view = CampaignsView {
        campaigns: list.iter().map(campaign_row).collect(),
    };
    Ok(ctx
        .page(&identity, "decisions/campaigns", "Décisions", &view)?
        .into_response())
}
