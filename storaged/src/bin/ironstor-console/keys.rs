//! What a key does: a small state machine with no I/O, so it is tested
//! without a terminal. Reboot and shut down ask for `y` first; everything
//! else acts at once or only says why not.

/// A machine action that needs confirming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Reboot,
    Shutdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Main,
    /// Waiting for `y` (anything else cancels).
    Confirm(Action),
}

/// The key state: the mode and the last message shown under the keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ui {
    pub mode: Mode,
    pub message: Option<String>,
}

/// What the main loop must do after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing changed.
    Nothing,
    /// The screen changed; draw it.
    Redraw,
    /// Draw everything again even if the text is the same (Ctrl-L, Enter:
    /// a serial terminal attached late, or kernel messages over it).
    Repaint,
    /// Ask storaged for a new setup token.
    RenewToken,
    /// Ask storaged to reboot or shut down (confirmed).
    Power(Action),
}

/// Applies `key` to `ui`. `setup_open`: no admin password yet, so a new
/// setup token may be made.
pub fn handle_key(ui: &mut Ui, key: u8, setup_open: bool) -> Effect {
    if let Mode::Confirm(action) = ui.mode {
        ui.mode = Mode::Main;
        return if matches!(key, b'y' | b'Y') {
            ui.message = Some(
                match action {
                    Action::Reboot => "Rebooting...",
                    Action::Shutdown => "Shutting down...",
                }
                .into(),
            );
            Effect::Power(action)
        } else {
            ui.message = Some(
                match action {
                    Action::Reboot => "Reboot cancelled.",
                    Action::Shutdown => "Shut-down cancelled.",
                }
                .into(),
            );
            Effect::Redraw
        };
    }
    match key {
        b't' | b'T' if setup_open => {
            ui.message = None;
            Effect::RenewToken
        }
        b't' | b'T' => {
            ui.message = Some("Setup is done: there is no setup token any more.".into());
            Effect::Redraw
        }
        b'r' | b'R' => {
            ui.mode = Mode::Confirm(Action::Reboot);
            ui.message = None;
            Effect::Redraw
        }
        b's' | b'S' => {
            ui.mode = Mode::Confirm(Action::Shutdown);
            ui.message = None;
            Effect::Redraw
        }
        b'n' | b'N' => {
            ui.message = Some("Resetting the network to DHCP is not available yet.".into());
            Effect::Redraw
        }
        // Ctrl-L, Enter (CR or LF).
        0x0c | b'\r' | b'\n' => Effect::Repaint,
        _ => Effect::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reboot_and_shut_down_need_a_y() {
        let mut ui = Ui::default();
        assert_eq!(handle_key(&mut ui, b'r', false), Effect::Redraw);
        assert_eq!(ui.mode, Mode::Confirm(Action::Reboot));
        assert_eq!(
            handle_key(&mut ui, b'y', false),
            Effect::Power(Action::Reboot)
        );
        assert_eq!(ui.mode, Mode::Main);
        assert_eq!(ui.message.as_deref(), Some("Rebooting..."));

        assert_eq!(handle_key(&mut ui, b's', true), Effect::Redraw);
        assert_eq!(ui.mode, Mode::Confirm(Action::Shutdown));
        assert_eq!(
            handle_key(&mut ui, b'Y', true),
            Effect::Power(Action::Shutdown)
        );
    }

    #[test]
    fn anything_but_y_cancels_and_is_not_taken_as_a_key() {
        for key in [b'n', b's', 0x1b, b'\r', b'r'] {
            let mut ui = Ui::default();
            handle_key(&mut ui, b's', true);
            assert_eq!(handle_key(&mut ui, key, true), Effect::Redraw, "{key}");
            assert_eq!(ui.mode, Mode::Main);
            assert_eq!(ui.message.as_deref(), Some("Shut-down cancelled."));
        }
        let mut ui = Ui::default();
        handle_key(&mut ui, b'r', true);
        handle_key(&mut ui, b'x', true);
        assert_eq!(ui.message.as_deref(), Some("Reboot cancelled."));
    }

    #[test]
    fn a_new_token_only_while_setup_is_open() {
        let mut ui = Ui {
            mode: Mode::Main,
            message: Some("old".into()),
        };
        assert_eq!(handle_key(&mut ui, b't', true), Effect::RenewToken);
        assert_eq!(ui.message, None);
        assert_eq!(handle_key(&mut ui, b't', false), Effect::Redraw);
        assert_eq!(
            ui.message.as_deref(),
            Some("Setup is done: there is no setup token any more.")
        );
    }

    #[test]
    fn network_reset_is_not_there_yet_and_other_keys_do_nothing() {
        let mut ui = Ui::default();
        assert_eq!(handle_key(&mut ui, b'n', true), Effect::Redraw);
        assert!(ui.message.as_deref().unwrap().contains("not available yet"));
        assert_eq!(ui.mode, Mode::Main);
        let before = ui.clone();
        assert_eq!(handle_key(&mut ui, b'q', true), Effect::Nothing);
        assert_eq!(ui, before);
        assert_eq!(handle_key(&mut ui, 0x0c, true), Effect::Repaint);
    }
}
