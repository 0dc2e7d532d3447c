//! Widgets shared by several pages.

pub mod commit_form;
pub mod customizer;
pub mod design_card;
pub mod diff;
pub mod field;
pub mod header;
pub mod search_form;
pub mod status;
pub mod time;
pub mod upload;
pub mod viewer;
