//! OpenClaw's own formats, read-only (SPEC §1–§4).

pub mod agents;
pub mod config;
pub mod credentials;
pub mod env;
pub mod external;
pub mod files;
pub mod json;
pub mod layout;
pub mod schema;
#[cfg(feature = "sqlite")]
pub mod sqlite;
/// Without the `sqlite` feature (the Android library): a [`sqlite::Snapshot`] that refuses every
/// database it meets, so the store readers compile unchanged and fail with a clear error.
#[cfg(not(feature = "sqlite"))]
#[path = "sqlite_absent.rs"]
pub mod sqlite;
pub mod status_json;
pub mod store;
