//! One module per page of the app.

pub mod design;
pub mod explore;
pub mod not_found;
pub mod search;
pub mod sign_in;
