//! The documents the platform writes for a dossier (the mémoire de proposition, the
//! récépissé de dépôt; later the lists, letters and draft decrees). This first part is their
//! French typography, which the PDF renderer does not add by itself; the rendering to PDF/A
//! comes next, in this crate.

pub mod typography;
