//! The libFuzzer entry of one target: what it reads and which properties it checks are in
//! fuzz/harness/src/gateway_report.rs, whose function the suite's replay tests run too.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| clawauth_fuzz_harness::gateway_report::run(data));
