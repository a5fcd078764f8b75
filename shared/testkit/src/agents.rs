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
/// Marc Fournier, auditeur in two ministries (the tenant picker).
pub const MARC: &str = "demo-marc.fournier";
/// Olivier Garnier, platform operator.
pub const OLIVIER: &str = "demo-olivier.garnier";
/// Nina Roux, who has no role anywhere.
pub const NINA: &str = "demo-nina.roux";
