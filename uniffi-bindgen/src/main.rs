//! `cargo run -p uniffi-bindgen -- generate --library target/debug/libclawauth_ffi.so --language kotlin --out-dir OUT`
fn main() {
    uniffi::uniffi_bindgen_main()
}
