//! The Napoléon binary's library: configuration, router composition, the commands, and the
//! demo seed. `main.rs` only parses the command line and maps outcomes to exit codes.

pub mod app;
pub mod commands;
pub mod config;
pub mod demo;
pub mod demo_activity;
pub mod samples;
