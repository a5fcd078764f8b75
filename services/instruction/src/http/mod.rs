//! Instruction's pages, one file per page group: the queue with its tabs, and the dossier
//! file with its timeline and the forms of each move. Handlers are thin: extract, call one
//! use case, render or redirect.

mod bulk;
mod dossier;
mod exports;
mod queue;
mod search;

pub(crate) use bulk::bulk;
pub(crate) use dossier::{dossier, give_back, opine, review_duplicate, take, transmit};
pub(crate) use exports::{export_file, export_form, export_job, start_export};
pub(crate) use queue::queue;
pub(crate) use search::{delete_view, save_view, search};
