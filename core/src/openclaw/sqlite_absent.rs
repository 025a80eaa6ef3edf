//! OpenClaw's SQLite stores, in a build without the `sqlite` feature (the Android library, which
//! reads its gateway's report over SSH and never OpenClaw's files). A database that does not
//! exist reads as absent, as with the feature; one that exists is refused with an error naming
//! it. No [`Snapshot`] can be made, so its readers are never reached.

use camino::Utf8Path;

use super::files::exists;
use crate::error::{Error, Result};

/// Why a database that exists cannot be read.
const NO_SQLITE: &str =
    "this build of clawauth reads no SQLite stores (a phone reads its gateway's report over SSH)";

/// Never made: a snapshot of a database this build cannot read.
pub enum Snapshot {}

impl Snapshot {
    /// `Ok(None)` when the database does not exist; else the error that this build reads none.
    pub fn open(path: &Utf8Path) -> Result<Option<Self>> {
        if exists(path) {
            Err(Error::sqlite(path, NO_SQLITE))
        } else {
            Ok(None)
        }
    }

    pub fn has_table(&self, _name: &str) -> bool {
        match *self {}
    }

    pub fn text(
        &self,
        _path: &Utf8Path,
        _table: &'static str,
        _column: &'static str,
        _key_column: &'static str,
        _key: &str,
    ) -> Result<Option<String>> {
        match *self {}
    }

    pub fn user_version(&self, _path: &Utf8Path) -> Result<Option<i64>> {
        match *self {}
    }

    pub fn agent_owner(&self, _path: &Utf8Path) -> Result<Option<String>> {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_database_is_absent_and_an_existing_one_a_clear_error() {
        let (_t, d) = crate::testutil::tmp();
        let path = d.join("openclaw.sqlite");
        assert!(Snapshot::open(&path).expect("missing").is_none());
        std::fs::write(&path, b"SQLite format 3\0").expect("write");
        let e = Snapshot::open(&path).err().expect("refused").to_string();
        assert!(
            e.contains(path.as_str()) && e.contains("reads no SQLite stores"),
            "{e}"
        );
    }
}
