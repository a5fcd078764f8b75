//! The demo agents, by their subject at the development provider (`napoleon demo` offers them
//! on its login page; the demo seed gives them their roles): `app.logged_in(PAUL)`.

/// Claire Martin, instructrice at the Préfecture du Rhône.
pub const CLAIRE: &str = "demo-claire.martin";
/// Paul Bernard, rédacteur at the Préfecture du Rhône.
pub const PAUL: &str = "demo-paul.bernard";
/// Hugo Leroy, valideur at the Préfecture du Rhône.
pub const HUGO: &str = "demo-hugo.leroy";
/// Sophie Petit, intégratrice at the Interior's central bureau.
pub const SOPHIE: &str = "demo-sophie.petit";
/// Anne Durand, administratrice of the Interior ministry.
pub const ANNE: &str = "demo-anne.durand";
/// Lucie Moreau, instructrice at the Culture ministry.
pub const LUCIE: &str = "demo-lucie.moreau";
/// Emma Lefort, rédactrice at the Culture ministry's DRAC Auvergne-Rhône-Alpes.
pub const EMMA: &str = "demo-emma.lefort";
/// Thomas Vidal, administrateur of the Culture ministry.
pub const THOMAS: &str = "demo-thomas.vidal";
/// Marc Fournier, auditeur in two ministries (the tenant picker).
pub const MARC: &str = "demo-marc.fournier";
/// Olivier Garnier, platform operator.
pub const OLIVIER: &str = "demo-olivier.garnier";
/// Nina Roux, who has no role anywhere.
pub const NINA: &str = "demo-nina.roux";
/// Bruno Lambert, chef de bureau at the Interior's central bureau.
pub const BRUNO: &str = "demo-bruno.lambert";
/// Chloé Garcia, at the minister's cabinet.
pub const CHLOE: &str = "demo-chloe.garcia";
/// Pierre Fabre, président de commission.
pub const PIERRE: &str = "demo-pierre.fabre";
/// Julie Mercier, formatrice in the training sandbox.
pub const JULIE: &str = "demo-julie.mercier";
/// Denis Robin, délégué à la protection des données.
pub const DENIS: &str = "demo-denis.robin";
/// Sarah Blanc, officière de sécurité.
pub const SARAH: &str = "demo-sarah.blanc";
/// René Girard, relecteur externe at the Préfecture du Rhône.
pub const RENE: &str = "demo-rene.girard";
