//! The appliance's console screen as a test reads it: what tty1 shows,
//! through the test shell, and the setup token on it.

use anyhow::Result;
use ironstor_builder::qemu::TestShell;

/// What tty1 shows, one line per 80 columns (`/dev/vcs1` is the screen's
/// characters without line breaks).
pub fn tty1(shell: &mut TestShell) -> Result<String> {
    let cols: usize = shell
        .check("stty -F /dev/tty1 size 2>/dev/null | cut -d' ' -f2 || echo 80")?
        .trim()
        .parse()
        .unwrap_or(80);
    let raw = shell.check("cat /dev/vcs1")?;
    let chars: Vec<char> = raw.chars().filter(|c| *c != '\n').collect();
    Ok(chars
        .chunks(cols.max(1))
        .map(|l| l.iter().collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n"))
}

/// `XXXX-XXXX-XXXX` in Crockford base32, as storaged makes setup tokens.
pub fn setup_token_in(screen: &str) -> Option<String> {
    let alphabet = |c: char| c.is_ascii_digit() || c.is_ascii_uppercase();
    screen
        .split(|c: char| !(alphabet(c) || c == '-'))
        .find(|w| {
            let parts: Vec<&str> = w.split('-').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| p.len() == 4 && p.chars().all(alphabet))
        })
        .map(str::to_string)
}
