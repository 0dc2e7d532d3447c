//! One module per page of the app.

pub mod blob;
pub mod commit;
pub mod component;
pub mod design;
pub mod editor;
pub mod explore;
pub mod files;
pub mod history;
pub mod labor;
pub mod network;
pub mod new_design;
pub mod not_found;
pub mod profile;
pub mod proposal;
pub mod proposals;
pub mod releases;
pub mod search;
pub mod settings;
pub mod sign_in;
pub mod sign_up;
pub mod welcome;
