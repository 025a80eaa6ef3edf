//! The guided re-auth flow (DESIGN.md §Core 8).

pub mod scan;
