//! Reading a Report back (from `clawauth status --format json` run on a gateway). A few fields
//! hold `&'static str` codes; values read back are interned in a small bounded table.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde::{Deserialize, Deserializer};

/// A `&'static str` code field (an alias, so serde's derive does not try to borrow it).
pub type Code = &'static str;

static TABLE: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
/// Codes are short identifiers; anything longer or beyond the table's size reads as `other`,
/// so a hostile document cannot make clawauth keep memory.
const MAX_LEN: usize = 64;
const MAX_ENTRIES: usize = 512;

/// The `&'static str` for `s`.
pub fn intern(s: &str) -> &'static str {
    if s.len() > MAX_LEN {
        return "other";
    }
    let Ok(mut table) = TABLE.lock() else {
        return "other";
    };
    if let Some(hit) = table.get(s) {
        return hit;
    }
    if table.len() >= MAX_ENTRIES {
        return "other";
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    table.insert(leaked);
    leaked
}

pub fn static_str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s = String::deserialize(d)?;
    Ok(intern(&s))
}

pub fn opt_static_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    Ok(s.as_deref().map(intern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_bounded() {
        assert_eq!(intern("cooldown"), "cooldown");
        assert!(std::ptr::eq(intern("cooldown"), intern("cooldown")));
        assert_eq!(intern(&"x".repeat(100)), "other");
    }
}
