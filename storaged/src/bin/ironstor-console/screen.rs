//! The screen's text, from the facts and the key state: a pure function, so
//! what tty1 shows is tested without a terminal.

use storaged::api::console::ConsoleFacts;

use crate::keys::{Action, Mode, Ui};

/// Width the text is laid out for: the VGA console's and a serial
/// terminal's default.
pub const WIDTH: usize = 80;
/// Lines the text fits in (the smallest common terminal).
pub const HEIGHT: usize = 24;
/// Addresses listed at most; more are counted.
const MAX_ADDRESSES: usize = 4;
const MAX_URLS: usize = 3;

/// SGR half-bright and reset: "greyed" on the Linux console and on serial
/// terminals alike.
pub const GREY: &str = "\x1b[2m";
pub const BOLD: &str = "\x1b[1m";
pub const RESET: &str = "\x1b[0m";

/// What the console knows: the facts, or why it has none.
pub type Known = Result<ConsoleFacts, String>;

/// The whole screen, lines joined with `\n` (the caller writes `\r\n` on
/// a raw terminal).
pub fn render(known: &Known, ui: &Ui) -> String {
    let mut out: Vec<String> = Vec::new();
    match known {
        Ok(facts) => facts_lines(facts, &mut out),
        Err(error) => {
            out.push(format!("{BOLD}ironstor{RESET}"));
            out.push(String::new());
            out.push("storaged is not answering (yet); trying again every 2 s.".into());
            out.extend(wrap(error, WIDTH - 2).into_iter().map(|l| format!("  {l}")));
        }
    }
    let setup_open = matches!(known, Ok(f) if f.setup_required);
    let mut bottom = vec![String::new()];
    bottom.extend(key_lines(setup_open));
    match (ui.mode, &ui.message) {
        (Mode::Confirm(action), _) => bottom.push(format!(
            "{BOLD}{}? Press y to confirm, any other key to cancel.{RESET}",
            match action {
                Action::Reboot => "Reboot the appliance",
                Action::Shutdown => "Shut the appliance down",
            }
        )),
        (Mode::Main, Some(message)) => bottom.push(message.clone()),
        (Mode::Main, None) => {}
    }
    // The keys and the prompt must stay on screen: the facts give way.
    out.truncate(HEIGHT.saturating_sub(bottom.len()));
    out.extend(bottom);
    out.join("\n")
}

fn facts_lines(f: &ConsoleFacts, out: &mut Vec<String>) {
    let running = match (&f.image_version, &f.slot) {
        (Some(image), Some(slot)) => format!("image {image}, slot {slot}"),
        (Some(image), None) => format!("image {image}"),
        (None, Some(slot)) => format!("slot {slot}"),
        (None, None) => format!("storaged {}", f.version),
    };
    out.push(format!("{BOLD}ironstor{RESET} {}  ({running})", f.hostname));
    out.push(String::new());

    out.push("Web console:".into());
    if f.https_urls.is_empty() {
        out.push("  no address yet (is a network cable plugged in?)".into());
    }
    for url in f.https_urls.iter().take(MAX_URLS) {
        out.push(format!("  {url}"));
    }
    if let Some(fingerprint) = &f.certificate_fingerprint_sha256 {
        // 95 characters: two lines of 16 pairs, as certificate viewers
        // break it, so it fits 80 columns.
        let half = fingerprint.len().min(48);
        out.push(format!(
            "Certificate SHA-256: {}",
            fingerprint[..half].trim_end_matches(':')
        ));
        if half < fingerprint.len() {
            out.push(format!("                     {}", &fingerprint[half..]));
        }
    }
    out.push("Addresses:".into());
    if f.addresses.is_empty() {
        out.push("  none".into());
    }
    for a in f.addresses.iter().take(MAX_ADDRESSES) {
        out.push(format!("  {:<10} {}/{}", a.interface, a.address, a.prefix));
    }
    if f.addresses.len() > MAX_ADDRESSES {
        out.push(format!(
            "  ... and {} more",
            f.addresses.len() - MAX_ADDRESSES
        ));
    }
    out.push(String::new());

    match (&f.setup_required, &f.setup_token) {
        (true, Some(token)) => {
            out.push(format!("Setup token: {BOLD}{token}{RESET}"));
            out.push("  Open the web console and set the admin password with it.".into());
        }
        (true, None) => out.push("Setup: no admin password yet (token not readable here).".into()),
        (false, _) => out.push("Setup done: log in to the web console as \"admin\".".into()),
    }
    let pools = if f.health.pools.is_empty() {
        "none yet".to_string()
    } else {
        f.health
            .pools
            .iter()
            .map(|p| format!("{} {}", p.name, p.health))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push(format!(
        "Health: storaged running; pools: {pools}; open alerts: {}",
        f.open_alerts
    ));
    for problem in f.health.problems.iter().take(3) {
        out.push(format!("  ! {problem}"));
    }
}

fn key_lines(setup_open: bool) -> [String; 2] {
    let token = if setup_open {
        "[t] new setup token".to_string()
    } else {
        format!("{GREY}[t] new setup token{RESET}")
    };
    [
        format!("Keys: {token}   [r] reboot   [s] shut down"),
        format!("      {GREY}[n] reset the network to DHCP (not available yet){RESET}"),
    ]
}

/// Splits `text` into lines of at most `width` characters, at spaces when
/// it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The text without escape sequences: what the screen shows.
pub fn visible(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ parameters final-byte.
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use storaged::api::console::{ConsoleAddress, ConsoleHealth, ConsolePool};

    use super::*;

    const FINGERPRINT: &str = "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55";

    fn facts() -> ConsoleFacts {
        ConsoleFacts {
            hostname: "ironstor".into(),
            addresses: vec![
                ConsoleAddress {
                    interface: "eno1".into(),
                    address: "192.168.1.20".into(),
                    prefix: 24,
                },
                ConsoleAddress {
                    interface: "eno1".into(),
                    address: "fe80::1".into(),
                    prefix: 64,
                },
            ],
            https_urls: vec!["https://192.168.1.20/".into()],
            certificate_fingerprint_sha256: Some(FINGERPRINT.into()),
            setup_required: true,
            setup_token: Some("7K2Q-M9XD-4TRB".into()),
            health: ConsoleHealth {
                pools: vec![ConsolePool {
                    name: "tank".into(),
                    health: "DEGRADED".into(),
                }],
                problems: vec!["pool tank is DEGRADED".into()],
            },
            open_alerts: 2,
            version: "0.1.0".into(),
            image_version: Some("0.1.0".into()),
            slot: Some("a".into()),
        }
    }

    fn fits(text: &str) {
        let shown = visible(text);
        assert!(shown.lines().count() <= HEIGHT, "{shown}");
        for line in shown.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line:?}");
        }
    }

    #[test]
    fn before_setup_the_screen_shows_url_fingerprint_token_health_and_keys() {
        let text = render(&Ok(facts()), &Ui::default());
        fits(&text);
        let shown = visible(&text);
        assert!(
            shown.starts_with("ironstor ironstor  (image 0.1.0, slot a)\n"),
            "{shown}"
        );
        assert!(shown.contains("\n  https://192.168.1.20/\n"), "{shown}");
        let joined = shown.replace("\n                     ", ":");
        assert!(
            joined.contains(&format!("Certificate SHA-256: {FINGERPRINT}\n")),
            "{shown}"
        );
        assert!(shown.contains("  eno1       192.168.1.20/24\n"), "{shown}");
        assert!(shown.contains("  eno1       fe80::1/64\n"), "{shown}");
        assert!(shown.contains("Setup token: 7K2Q-M9XD-4TRB\n"), "{shown}");
        assert!(
            shown.contains("Health: storaged running; pools: tank DEGRADED; open alerts: 2"),
            "{shown}"
        );
        assert!(shown.contains("  ! pool tank is DEGRADED"), "{shown}");
        assert!(text.contains("Keys: [t] new setup token   [r] reboot   [s] shut down"));
        assert!(text.contains(&format!(
            "{GREY}[n] reset the network to DHCP (not available yet){RESET}"
        )));
    }

    #[test]
    fn after_setup_there_is_no_token_and_t_is_greyed() {
        let mut f = facts();
        f.setup_required = false;
        f.setup_token = None;
        let text = render(&Ok(f), &Ui::default());
        let shown = visible(&text);
        assert!(shown.contains("Setup done: log in to the web console as \"admin\"."));
        assert!(!shown.contains("7K2Q"), "{shown}");
        assert!(text.contains(&format!("Keys: {GREY}[t] new setup token{RESET}")));
    }

    #[test]
    fn confirmations_messages_and_a_silent_storaged_show() {
        let ui = Ui {
            mode: Mode::Confirm(Action::Shutdown),
            message: None,
        };
        let shown = visible(&render(&Ok(facts()), &ui));
        assert!(shown
            .ends_with("Shut the appliance down? Press y to confirm, any other key to cancel."));
        let ui = Ui {
            mode: Mode::Main,
            message: Some("Reboot cancelled.".into()),
        };
        assert!(visible(&render(&Ok(facts()), &ui)).ends_with("\nReboot cancelled."));
        let text = render(
            &Err("cannot connect to storaged at /run/storaged/api.sock".into()),
            &Ui::default(),
        );
        fits(&text);
        let shown = visible(&text);
        assert!(shown.contains("storaged is not answering"), "{shown}");
        assert!(shown.contains("  cannot connect to storaged at /run/storaged/api.sock"));
    }

    #[test]
    fn many_addresses_still_fit() {
        let mut f = facts();
        f.addresses = (0..12)
            .map(|i| ConsoleAddress {
                interface: format!("enp{i}s0"),
                address: format!("2001:db8:{i}::1234:5678:9abc:def0"),
                prefix: 64,
            })
            .collect();
        f.https_urls = (0..12)
            .map(|i| format!("https://[2001:db8:{i}::1]/"))
            .collect();
        let text = render(&Ok(f), &Ui::default());
        fits(&text);
        assert!(visible(&text).contains("  ... and 8 more"));
    }

    #[test]
    fn escape_sequences_are_not_visible() {
        assert_eq!(visible(&format!("{BOLD}a{RESET}b{GREY}c")), "abc");
    }
}
