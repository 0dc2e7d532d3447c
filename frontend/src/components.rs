//! Widgets shared by several pages.

pub mod design_card;
pub mod field;
pub mod header;
pub mod search_form;
pub mod status;
