//! The parser of `zpool import -d /dev/disk/by-id` (no pool named): the
//! pools the disks hold that are not imported. OpenZFS 2.3 has no JSON
//! for this command, so its text is read: one block per pool, each
//! starting `   pool: <name>`, with `id:`, `state:`, optional `status:`,
//! `action:`, `see:` paragraphs (continued on tab-indented lines) and a
//! `config:` tree whose lines start with a tab, two spaces per level.

use serde::Serialize;

use super::ParseError;
use crate::zfs::props::Health;

/// A pool `zpool import` could import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct Importable {
    pub name: String,
    /// The pool's guid, in decimal. A string: it does not fit the 53 bits
    /// a JSON number keeps in JavaScript.
    pub id: String,
    /// `ONLINE` when every member is there; `DEGRADED`, `UNAVAIL`, ...
    pub state: Health,
    /// The "status:" paragraph, when `zpool` has one (on one line).
    pub status: Option<String>,
    /// The "action:" paragraph (on one line): whether and how it imports.
    pub action: Option<String>,
    /// Every disk of the pool, in the order `zpool` lists them.
    pub members: Vec<ImportableMember>,
}

/// One disk of an importable pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, serde::Deserialize)]
pub struct ImportableMember {
    /// As `zpool` names it: the by-id link for pools made by storaged; a
    /// guid for a disk that is missing.
    pub name: String,
    pub state: Health,
    /// The vdev it belongs to (`mirror-0`, `raidz2-1`, `logs`), or `null`
    /// for a disk that is a top-level vdev itself.
    pub vdev: Option<String>,
    /// What `zpool` adds after the state (`cannot open`, `corrupted data`).
    pub note: Option<String>,
}

/// Parses the listing; no block at all is an empty list.
pub fn parse_import_list(text: &str) -> Result<Vec<Importable>, ParseError> {
    let mut pools = Vec::new();
    let mut current: Option<Block> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(name) = trimmed.strip_prefix("pool: ") {
            if let Some(block) = current.take() {
                pools.push(block.finish()?);
            }
            current = Some(Block::new(name.trim(), n + 1));
            continue;
        }
        if let Some(block) = current.as_mut() {
            block.line(line, n + 1)?;
        }
    }
    if let Some(block) = current {
        pools.push(block.finish()?);
    }
    Ok(pools)
}

struct Block {
    name: String,
    line: usize,
    id: Option<String>,
    state: Option<Health>,
    status: Option<String>,
    action: Option<String>,
    /// The paragraph continuation lines go to.
    open: Option<&'static str>,
    in_config: bool,
    /// The pool's own line of the tree has been seen.
    root_seen: bool,
    /// The current top-level vdev group, if any.
    group: Option<String>,
    members: Vec<ImportableMember>,
}

const GROUPS: [&str; 6] = [
    "mirror-",
    "raidz",
    "draid",
    "replacing-",
    "spare-",
    "indirect-",
];
const SECTIONS: [&str; 5] = ["logs", "cache", "spares", "special", "dedup"];

impl Block {
    fn new(name: &str, line: usize) -> Block {
        Block {
            name: name.to_string(),
            line,
            id: None,
            state: None,
            status: None,
            action: None,
            open: None,
            in_config: false,
            root_seen: false,
            group: None,
            members: Vec::new(),
        }
    }

    fn line(&mut self, line: &str, n: usize) -> Result<(), ParseError> {
        if self.in_config {
            return self.config_line(line, n);
        }
        let trimmed = line.trim();
        if let Some((key, value)) = trimmed.split_once(':').filter(|_| !line.starts_with('\t')) {
            let value = value.trim();
            self.open = None;
            match key {
                "id" => self.id = Some(value.to_string()),
                "state" => self.state = Some(value.parse().unwrap_or_else(|e| match e {})),
                "status" => {
                    self.status = Some(value.to_string());
                    self.open = Some("status");
                }
                "action" => {
                    self.action = Some(value.to_string());
                    self.open = Some("action");
                }
                "config" => self.in_config = true,
                _ => {}
            }
            return Ok(());
        }
        let paragraph = match self.open {
            Some("status") => self.status.as_mut(),
            Some("action") => self.action.as_mut(),
            _ => None,
        };
        if let (Some(text), false) = (paragraph, trimmed.is_empty()) {
            text.push(' ');
            text.push_str(trimmed);
        }
        Ok(())
    }

    /// A line of the tree: `\t` then two spaces per level, the name, the
    /// state, and maybe a note.
    fn config_line(&mut self, line: &str, n: usize) -> Result<(), ParseError> {
        let Some(rest) = line.strip_prefix('\t') else {
            // "errors:" or the like after the tree ends it.
            if !line.trim().is_empty() {
                self.in_config = false;
            }
            return Ok(());
        };
        let depth = (rest.len() - rest.trim_start_matches(' ').len()) / 2;
        let mut words = rest.split_whitespace();
        let Some(name) = words.next() else {
            return Ok(());
        };
        let state = words.next();
        let note: Vec<&str> = words.collect();
        if depth == 0 {
            if SECTIONS.contains(&name) {
                self.group = Some(name.to_string());
            } else if !self.root_seen {
                self.root_seen = true;
                self.group = None;
            }
            return Ok(());
        }
        let is_group = GROUPS.iter().any(|g| name.starts_with(g));
        if depth == 1 && is_group {
            self.group = Some(name.to_string());
            return Ok(());
        }
        if is_group {
            // A replacing or spare group inside a vdev: its members belong
            // to the vdev above.
            return Ok(());
        }
        if depth == 1 && !self.group.as_deref().is_some_and(|g| SECTIONS.contains(&g)) {
            self.group = None;
        }
        let state = state.ok_or(ParseError::BadField {
            line: n,
            field: "state",
            value: rest.trim().to_string(),
            what: "a device name followed by its state",
        })?;
        self.members.push(ImportableMember {
            name: name.to_string(),
            state: state.parse().unwrap_or_else(|e| match e {}),
            vdev: self.group.clone(),
            note: (!note.is_empty()).then(|| note.join(" ")),
        });
        Ok(())
    }

    fn finish(self) -> Result<Importable, ParseError> {
        let missing = |field: &'static str| ParseError::BadField {
            line: self.line,
            field,
            value: self.name.clone(),
            what: "a pool block with that line",
        };
        Ok(Importable {
            id: self.id.clone().ok_or_else(|| missing("id"))?,
            state: self.state.clone().ok_or_else(|| missing("state"))?,
            name: self.name,
            // zpool wraps and double-spaces its paragraphs for a terminal.
            status: self.status.as_deref().map(one_line),
            action: self.action.as_deref().map(one_line),
            members: self.members,
        })
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As OpenZFS 2.3 prints it: a striped mirror with a disk missing, and
    /// a healthy stripe whose features are behind.
    const TWO_POOLS: &str = "   pool: tank
     id: 15299871203455323415
  state: DEGRADED
status: One or more devices are missing from the system.
 action: The pool can be imported despite missing or damaged devices.  The
\tfault tolerance of the pool may be compromised if imported.
   see: https://openzfs.github.io/openzfs-docs/msg/ZFS-8000-2Q
 config:

\ttank                                     DEGRADED
\t  mirror-0                               ONLINE
\t    nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000  ONLINE
\t    nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001  ONLINE
\t  mirror-1                               DEGRADED
\t    nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002  ONLINE
\t    4093658398264813411                  UNAVAIL  cannot open

   pool: old
     id: 734261
  state: ONLINE
status: Some supported features are not enabled on the pool.
\t(Note that they may be intentionally disabled if the
\t'compatibility' property is set.)
 action: The pool can be imported using its name or numeric identifier, though
\tsome features will not be available without an explicit 'zpool upgrade'.
 config:

\told                                   ONLINE
\t  ata-QEMU_HARDDISK_IRONSTORSATA0000  ONLINE
\tlogs
\t  nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0003  ONLINE
";

    #[test]
    fn import_listing_gives_each_pool_its_members_and_vdevs() {
        let pools = parse_import_list(TWO_POOLS).unwrap();
        assert_eq!(pools.len(), 2);
        let tank = &pools[0];
        assert_eq!(
            (tank.name.as_str(), tank.id.as_str()),
            ("tank", "15299871203455323415")
        );
        assert_eq!(tank.state, Health::Degraded);
        assert_eq!(
            tank.action.as_deref(),
            Some("The pool can be imported despite missing or damaged devices. The fault tolerance of the pool may be compromised if imported.")
        );
        let members: Vec<(&str, Option<&str>)> = tank
            .members
            .iter()
            .map(|m| (m.name.as_str(), m.vdev.as_deref()))
            .collect();
        assert_eq!(
            members,
            [
                ("nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0000", Some("mirror-0")),
                ("nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0001", Some("mirror-0")),
                ("nvme-QEMU_NVMe_Ctrl_IRONSTORNVME0002", Some("mirror-1")),
                ("4093658398264813411", Some("mirror-1")),
            ]
        );
        assert_eq!(tank.members[3].state, Health::Unavail);
        assert_eq!(tank.members[3].note.as_deref(), Some("cannot open"));
        let old = &pools[1];
        assert!(old
            .status
            .as_deref()
            .unwrap()
            .ends_with("'compatibility' property is set.)"));
        assert_eq!(old.members[0].vdev, None);
        assert_eq!(old.members[1].vdev.as_deref(), Some("logs"));
    }

    #[test]
    fn import_listing_of_nothing_is_empty_and_a_block_without_id_is_an_error() {
        assert!(parse_import_list("").unwrap().is_empty());
        let err = parse_import_list("   pool: x\n  state: ONLINE\n").unwrap_err();
        assert!(err.to_string().contains("id"), "{err}");
    }
}
