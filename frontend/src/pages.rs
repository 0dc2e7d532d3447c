//! One module per page of the app.

pub mod design;
pub mod explore;
pub mod not_found;
pub mod profile;
pub mod search;
pub mod settings;
pub mod sign_in;
pub mod sign_up;
