//! The documents the platform writes for a dossier (the mémoire de proposition, the
//! récépissé de dépôt; later the lists, letters and draft decrees).  Their French typography,
//! which typst does not add by itself ([`typography`]), and their rendering to PDF/A-2b with
//! typst as a library ([`render`]) — a heavy dependency, kept in this crate alone.

pub mod render;
pub mod typography;
