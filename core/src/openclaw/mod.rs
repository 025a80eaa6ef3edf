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
pub mod sqlite;
pub mod status_json;
pub mod store;
