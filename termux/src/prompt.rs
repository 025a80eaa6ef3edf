//! The hidden prompt for a token, key or passphrase typed or pasted at the terminal.
//!
//! A line-based prompt (`rpassword`, or a shell's `read -s`) returns the first line of a paste
//! and leaves the rest in the terminal's input queue: a token wrapped over two lines is stored
//! cut short, and its second half is then read — and run — by the shell. This prompt instead
//! reads the terminal itself, without echo and without line editing:
//! - a paste is recognised by bracketed-paste markers (`ESC [200~ … ESC [201~`, which the
//!   terminal adds once asked with `ESC [?2004h`); a line break inside it is kept as part of
//!   the input, not taken as Enter;
//! - after Enter, whatever else arrives in the next moments (a paste from a terminal without
//!   bracketed paste arrives as lines) is read too and joined on `\n`;
//! - what is left in the terminal's queue when the prompt ends is discarded (`tcflush`), so
//!   nothing reaches the shell.
//!
//! The caller validates the whole input as it validates stdin ([`clawauth_core::actions::input`]):
//! more than one line is refused whole. Ctrl-C and Ctrl-D cancel; Backspace and Ctrl-U edit.
//! The terminal's settings are restored however the prompt ends (a drop guard; Ctrl-C arrives
//! as a byte, not a signal, while the prompt runs).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::termios::{
    LocalModes, OptionalActions, QueueSelector, SpecialCodeIndex, Termios, tcflush, tcgetattr,
    tcsetattr,
};
use zeroize::Zeroizing;

/// Input after Enter that arrives within this pause belongs to the same paste.
const SETTLE: Duration = Duration::from_millis(200);
/// …but the prompt stops reading after this long, even from a terminal that keeps sending.
const SETTLE_MAX: Duration = Duration::from_secs(2);
/// Reading stops growing the buffer here (a secret is far shorter; the caller refuses it).
const MAX_INPUT: usize = clawauth_core::actions::input::MAX_SECRET_LEN + 1;

const PASTE_START: &[u8] = b"\x1b[200~";
const PASTE_END: &[u8] = b"\x1b[201~";

/// Why nothing was read.
#[derive(Debug)]
pub enum PromptError {
    /// Ctrl-C, or Ctrl-D on an empty line.
    Cancelled,
    /// The terminal could not be used.
    Terminal(String),
}

impl std::fmt::Display for PromptError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Cancelled => f.write_str("cancelled at the prompt"),
            Self::Terminal(e) => write!(f, "cannot read from the terminal: {e}"),
        }
    }
}

/// Restores the terminal's settings and turns bracketed paste off when dropped.
struct Raw {
    tty: File,
    saved: Termios,
}

impl Drop for Raw {
    fn drop(&mut self) {
        // Anything still queued (the tail of a paste) is discarded, never left for the shell.
        let _ = tcflush(self.tty.as_fd(), QueueSelector::IFlush);
        let _ = self.tty.write_all(b"\x1b[?2004l");
        let _ = tcsetattr(self.tty.as_fd(), OptionalActions::Now, &self.saved);
    }
}

/// Shows `prompt` on the terminal and reads a hidden answer: every line of it, joined on `\n`
/// (one line for a normal answer). Needs a controlling terminal (`/dev/tty`).
pub fn read_hidden(prompt: &str) -> Result<Zeroizing<Vec<u8>>, PromptError> {
    let terminal = |e: std::io::Error| PromptError::Terminal(e.to_string());
    let tty = File::options()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(terminal)?;
    let saved = tcgetattr(tty.as_fd()).map_err(|e| terminal(e.into()))?;
    let mut raw = saved.clone();
    raw.local_modes
        .remove(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG | LocalModes::IEXTEN);
    raw.special_codes[SpecialCodeIndex::VMIN] = 1;
    raw.special_codes[SpecialCodeIndex::VTIME] = 0;
    tcsetattr(tty.as_fd(), OptionalActions::Now, &raw).map_err(|e| terminal(e.into()))?;
    let mut guard = Raw { tty, saved };
    guard
        .tty
        .write_all(format!("\x1b[?2004h{prompt}").as_bytes())
        .and_then(|()| guard.tty.flush())
        .map_err(terminal)?;
    let result = read_answer(&mut guard.tty);
    let _ = guard.tty.write_all(b"\r\n");
    drop(guard);
    result
}

/// What the bytes read so far amount to.
#[derive(Default)]
struct Line {
    buf: Zeroizing<Vec<u8>>,
    /// Inside `ESC [200~ … ESC [201~`.
    pasting: bool,
    /// Bytes of an escape sequence being read.
    escape: Vec<u8>,
    /// Enter was pressed: further line ends are line breaks of a paste.
    entered: bool,
    /// The last byte was a carriage return (a line feed right after it adds nothing).
    after_cr: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    More,
    Enter,
    Cancel,
}

impl Line {
    fn push(&mut self, b: u8) {
        if self.buf.len() < MAX_INPUT {
            self.buf.push(b);
        }
    }

    /// Takes one byte of an escape sequence; paste markers switch paste mode, anything else
    /// (an arrow key) is skipped.
    fn escape_byte(&mut self, b: u8) {
        self.escape.push(b);
        let seq = self.escape.as_slice();
        if seq == PASTE_START || seq == PASTE_END {
            self.pasting = seq == PASTE_START;
            self.escape.clear();
            return;
        }
        if PASTE_START.starts_with(seq) || PASTE_END.starts_with(seq) {
            return;
        }
        // CSI: ESC [ parameters… and a final byte in 0x40..=0x7e; else ESC and one byte.
        let done = match seq.get(1) {
            None => false,
            Some(b'[') => seq.len() > 2 && (0x40..=0x7e).contains(&b),
            Some(_) => true,
        };
        if done || seq.len() >= 16 {
            self.escape.clear();
        }
    }

    /// Takes one byte of terminal input.
    fn feed(&mut self, b: u8) -> Step {
        let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
        if !self.escape.is_empty() || b == 0x1b {
            self.escape_byte(b);
            return Step::More;
        }
        match b {
            b'\n' if after_cr => {}
            b'\r' | b'\n' if self.pasting || self.entered => self.push(b'\n'),
            b'\r' | b'\n' => {
                self.entered = true;
                // A pasted line that ended with its own line break needs no second one.
                if self.buf.last() != Some(&b'\n') {
                    self.push(b'\n');
                }
                return Step::Enter;
            }
            0x03 => return Step::Cancel,
            0x04 if self.buf.is_empty() => return Step::Cancel,
            0x7f | 0x08 => {
                // Back over one character (a UTF-8 sequence's continuation bytes with it).
                while let Some(last) = self.buf.pop() {
                    if last & 0xc0 != 0x80 {
                        break;
                    }
                }
            }
            0x15 => self.buf.clear(),
            _ => self.push(b),
        }
        Step::More
    }
}

fn read_answer(tty: &mut File) -> Result<Zeroizing<Vec<u8>>, PromptError> {
    let mut line = Line::default();
    let mut chunk = Zeroizing::new([0u8; 1024]);
    loop {
        let n = tty
            .read(&mut chunk[..])
            .map_err(|e| PromptError::Terminal(e.to_string()))?;
        if n == 0 {
            return Err(PromptError::Cancelled);
        }
        for &b in &chunk[..n] {
            match line.feed(b) {
                Step::More => {}
                Step::Cancel => return Err(PromptError::Cancelled),
                // The rest of this read, and what follows without a pause, is more of a paste.
                Step::Enter => {}
            }
        }
        if line.entered {
            settle(tty, &mut line);
            return Ok(std::mem::take(&mut line.buf));
        }
    }
}

/// After Enter: reads what else arrives without a pause of [`SETTLE`] (the rest of a paste
/// from a terminal without bracketed paste), for at most [`SETTLE_MAX`].
fn settle(tty: &mut File, line: &mut Line) {
    let started = Instant::now();
    let mut chunk = Zeroizing::new([0u8; 1024]);
    while started.elapsed() < SETTLE_MAX {
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: SETTLE.as_nanos() as _,
        };
        let fd = tty.as_fd();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        match tty.read(&mut chunk[..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                for &b in &chunk[..n] {
                    // Ctrl-C now only ends the reading; the answer is refused or used as read.
                    if line.feed(b) == Step::Cancel {
                        return;
                    }
                }
            }
        }
    }
}

/// [`read_hidden`] for an answer that must be one line (a passphrase): without its line
/// break, or an error when more than one line came.
pub fn read_hidden_line(prompt: &str) -> Result<Zeroizing<String>, String> {
    let raw = read_hidden(prompt).map_err(|e| e.to_string())?;
    let text = std::str::from_utf8(&raw).map_err(|_| "the answer is not text (invalid UTF-8)")?;
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.contains('\n') {
        return Err(format!(
            "the answer came as {} lines (a paste with a line break?); nothing was used: type or \
             paste it as one line",
            body.split('\n').count()
        ));
    }
    Ok(Zeroizing::new(body.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes a terminal sends, as the prompt reads them (all of them: what comes after
    /// Enter is the rest of a paste).
    fn read(bytes: &[u8]) -> Result<Vec<u8>, ()> {
        let mut line = Line::default();
        for &b in bytes {
            if line.feed(b) == Step::Cancel && !line.entered {
                return Err(());
            }
        }
        Ok(line.buf.to_vec())
    }

    #[test]
    fn typing_editing_and_pasting() {
        assert_eq!(read(b"abc\r"), Ok(b"abc\n".to_vec()));
        assert_eq!(
            read(b"abc\r\n"),
            Ok(b"abc\n".to_vec()),
            "CR LF is one Enter"
        );
        assert_eq!(read(b"abx\x7fc\r"), Ok(b"abc\n".to_vec()));
        assert_eq!(read(b"junk\x15abc\n"), Ok(b"abc\n".to_vec()));
        assert_eq!(read("aé\x7f\r".as_bytes()), Ok(b"a\n".to_vec()));
        assert_eq!(read(b"\x03"), Err(()));
        assert_eq!(read(b"\x04"), Err(()));
        // A bracketed paste keeps its line break; Enter ends the input.
        assert_eq!(
            read(b"\x1b[200~abc\r\ndef\x1b[201~\r"),
            Ok(b"abc\ndef\n".to_vec())
        );
        assert_eq!(
            read(b"\x1b[200~abc\n\x1b[201~\r"),
            Ok(b"abc\n".to_vec()),
            "a pasted line with its line break, then Enter"
        );
        // Without bracketed paste, the lines after Enter are read too.
        assert_eq!(read(b"abc\rdef\r"), Ok(b"abc\ndef\n".to_vec()));
        // Arrow keys are skipped.
        assert_eq!(read(b"a\x1b[Db\x1b[1;5C\r"), Ok(b"ab\n".to_vec()));
    }
}
