//! Inputs at a reader's size cap: what they are, and the two ways `fuzz/run.sh` once made them
//! in bash (`yes … | head -c N`), kept byte for byte.

use crate::CAP;

/// One input at a reader's size cap, in the [`CAP`] form.
pub struct CapInput {
    /// What it is (`bundle-24mib`).
    pub name: &'static str,
    /// How many times the one-input budget it may take: a few inputs do much more than one read
    /// (a 16 MiB store is parsed and evaluated whole).
    pub budget: u32,
    /// The input, [`CAP`] first.
    pub bytes: Vec<u8>,
}

impl CapInput {
    /// `name`, with the [`CAP`] prefix put before `body`.
    pub(crate) fn new(name: &'static str, body: Vec<u8>) -> Self {
        Self::times(name, 1, body)
    }

    /// An input that may take `budget` times the one-input budget.
    pub(crate) fn times(name: &'static str, budget: u32, body: Vec<u8>) -> Self {
        let mut bytes = Vec::with_capacity(CAP.len() + body.len());
        bytes.extend_from_slice(CAP);
        bytes.extend_from_slice(&body);
        Self {
            name,
            budget,
            bytes,
        }
    }

    /// Its file name: `NAME`, or `NAME@N` when it may take N times the budget (as `run.sh` and
    /// a finding in `fuzz/artifacts/` name it).
    pub fn file_name(&self) -> String {
        if self.budget == 1 {
            self.name.to_owned()
        } else {
            format!("{}@{}", self.name, self.budget)
        }
    }
}

/// `line` and a newline, over and over, cut at `n` bytes (`yes LINE | head -c N`).
pub(crate) fn lines(line: &str, n: usize) -> Vec<u8> {
    let unit = [line.as_bytes(), b"\n"].concat();
    unit.iter().copied().cycle().take(n).collect()
}

/// `unit` over and over without newlines, cut at `n` bytes (`yes UNIT | tr -d '\n' | head -c N`).
pub(crate) fn run_of(unit: &str, n: usize) -> Vec<u8> {
    let unit: Vec<u8> = unit.bytes().filter(|&b| b != b'\n').collect();
    unit.iter().copied().cycle().take(n).collect()
}

/// `name\ncontent` and a NUL: one file of a multi-file input (see `crate::sections`).
pub(crate) fn section(name: &str, content: &[u8]) -> Vec<u8> {
    [name.as_bytes(), b"\n", content, b"\0"].concat()
}

/// A kibibyte.
pub(crate) const K: usize = 1024;
