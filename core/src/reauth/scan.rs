//! Reading a terminal stream: the authorize URL, the issued token, device codes.
//! (Interface placeholder; the implementation lands from the scanner work.)

use crate::secrets::Secret;

pub struct DeviceCode {
    pub url: String,
    pub code: String,
}

pub struct Screen {
    text: String,
}

impl Screen {
    pub fn new(_cols: u32) -> Self {
        Self {
            text: String::new(),
        }
    }
    pub fn feed(&mut self, bytes: &[u8]) {
        self.text.push_str(&String::from_utf8_lossy(bytes));
    }
    pub fn find_url(&self, _prefixes: &[&str]) -> Option<String> {
        None
    }
    pub fn find_token(&self, _prefix: &str) -> Option<Secret> {
        None
    }
    pub fn device_code(&self) -> Option<DeviceCode> {
        None
    }
    pub fn contains(&self, needle: &str) -> bool {
        self.text.contains(needle)
    }
    pub fn error_line(&self) -> Option<String> {
        None
    }
    pub fn tail(&self, _n: usize) -> Vec<String> {
        Vec::new()
    }
    pub fn clear(&mut self) {
        self.text.clear();
    }
}
