//! Instruction's pages, one file per page group: the queue with its tabs, and the dossier
//! file with its timeline and the forms of each move. Handlers are thin: extract, call one
//! use case, render or redirect.

mod dossier;
mod queue;

use napoleon_web::{ActionError, WebError};

pub(crate) use dossier::{dossier, give_back, opine, take, transmit};
pub(crate) use queue::queue;

/// A refused use case as the page edge renders it.
fn web(e: ActionError) -> WebError {
    e.into_web()
}
