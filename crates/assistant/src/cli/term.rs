//! The terminal: PINs and codes read from it (or from standard input with
//! `--pin-stdin`), and what is written out.

use std::io::{BufRead, Write};

use secrecy::SecretString;

use crate::error::Error;

/// Where the PINs come from.
pub(super) struct Pins {
    stdin: bool,
}

impl Pins {
    /// From standard input (`--pin-stdin`) or the terminal.
    pub(super) fn new(stdin: bool) -> Pins {
        Pins { stdin }
    }

    /// The next line of standard input (`--pin-stdin`), or what is typed at the
    /// terminal without echo.
    pub(super) fn next(&mut self, prompt: &str) -> Result<SecretString, Error> {
        if self.stdin {
            let mut line = String::new();
            let n = std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Error::Usage(format!("无法读取输入：{e}")))?;
            if n == 0 {
                return Err(Error::Usage("标准输入中没有 PIN".into()));
            }
            return Ok(SecretString::from(line.trim().to_string()));
        }
        rpassword::prompt_password(prompt)
            .map(|p| SecretString::from(p.trim().to_string()))
            .map_err(|e| Error::Usage(format!("无法读取 PIN：{e}")))
    }
}

/// A failure to write out, as an error.
pub(super) fn io(e: std::io::Error) -> Error {
    Error::Usage(e.to_string())
}

/// Opens the browser on `url` (printed just before); says so when it could
/// not, so the holder copies the link instead of waiting.
pub(super) fn open_browser(url: &str, out: &mut dyn Write) -> Result<(), Error> {
    if !crate::browser::open(url) {
        writeln!(out, "无法自动打开浏览器，请复制上面的链接，在浏览器中打开").map_err(io)?;
    }
    Ok(())
}
