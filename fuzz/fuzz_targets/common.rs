//! What every target shares: how an input is read.

use arbitrary::{Arbitrary, Unstructured};

/// An input that starts with these bytes runs the target on the rest with plain parameters
/// (80 columns, host `gw`, a fixed login, …): the seeds made from the repo's fixtures and the
/// at-the-cap inputs of `run.sh` are written that way. Any other input is read by `arbitrary`.
pub const RAW: &[u8] = b"RAW\0";

/// An input that starts with these bytes only runs what clawauth itself does with the rest
/// (one read, one edit), no property checks: `run.sh` times its at-the-cap inputs that way, so
/// the time is the reader's own.
pub const CAP: &[u8] = b"CAP\0";

/// The target's input: `raw(rest)` for a [`RAW`] input, else what `arbitrary` makes of it.
pub fn decode<'a, T: Arbitrary<'a>>(data: &'a [u8], raw: impl FnOnce(&'a [u8]) -> T) -> Option<T> {
    match data.strip_prefix(RAW) {
        Some(rest) => Some(raw(rest)),
        None => T::arbitrary_take_rest(Unstructured::new(data)).ok(),
    }
}
