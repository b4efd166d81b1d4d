//! The build's `pxe/` directory as a whole: its files, and `pxe.toml`,
//! which says what the tree boots and where it is served, so that
//! `ironstor pxe serve` can write the loader configs for another server
//! without the profile.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::formats::pxe::{
    plan_configs, plan_tree, write_tree, PxeBoot, PxeError, PxeInputs, WriteTreeError, BOOT_IPXE,
    GRUB_NET_CFG, PXELINUX_CFG,
};

pub use crate::output::pxe::TREE_INFO;

/// `pxe.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeInfo {
    pub image: String,
    pub version: String,
    pub build_id: String,
    /// Of the tree's `root.squashfs`, as the command line carries it.
    pub root_sha256: String,
    /// The profile's `kernel.command_line`.
    pub command_line: Vec<String>,
    /// The URL the loader configs name; `None` until one is given.
    pub base_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("cannot read {path}; is it a tree made by `ironstor build`?")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not a PXE tree manifest: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the PXE tree's settings are not usable")]
    Boot(#[from] PxeError),
    #[error(transparent)]
    Files(#[from] WriteTreeError),
}

impl TreeInfo {
    pub fn load(tree: &Path) -> Result<TreeInfo, TreeError> {
        let path = tree.join(TREE_INFO);
        let text = fs::read_to_string(&path).map_err(|source| TreeError::Read {
            path: path.clone(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| TreeError::Parse {
            path,
            message: e.message().to_string(),
        })
    }

    fn write(&self, tree: &Path) -> Result<(), TreeError> {
        let path = tree.join(TREE_INFO);
        let text = format!(
            "# The network-boot tree of {} {}; written by the ironstor builder.\n{}",
            self.image,
            self.version,
            toml::to_string(self).expect("TreeInfo serializes")
        );
        fs::write(&path, text).map_err(|source| TreeError::Write { path, source })
    }

    /// What the loader configs say when served from `base_url`.
    pub fn boot(&self, base_url: &str) -> Result<PxeBoot, PxeError> {
        PxeBoot::new(base_url, &self.root_sha256, &self.command_line)
    }

    /// Whether the loader configs are written for `base_url`.
    pub fn configured_for(&self, tree: &Path, base_url: &str) -> bool {
        self.base_url.as_deref() == Some(base_url)
            && [BOOT_IPXE, PXELINUX_CFG, GRUB_NET_CFG]
                .iter()
                .all(|name| tree.join(name).is_file())
    }
}

/// Everything the build's `pxe` stage needs.
pub struct TreeInputs<'a> {
    pub files: PxeInputs<'a>,
    pub info: TreeInfo,
}

/// Writes the whole tree under `dir`: kernel, initrd, squashfs (hard
/// links), loaders, `pxe.toml`, and the loader configs when the base URL is
/// known.
pub fn build_tree(inputs: TreeInputs, dir: &Path) -> Result<TreeInfo, TreeError> {
    // Fail on a bad command line before writing anything.
    let boot = match &inputs.info.base_url {
        Some(url) => Some(inputs.info.boot(url)?),
        None => None,
    };
    // A tree from an earlier build must not keep configs for another root.
    for stale in [BOOT_IPXE, PXELINUX_CFG, GRUB_NET_CFG, TREE_INFO] {
        let path = dir.join(stale);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(TreeError::Write { path, source: e })
            }
            _ => {}
        }
    }
    write_tree(&plan_tree(&inputs.files), dir)?;
    if let Some(boot) = &boot {
        write_tree(&plan_configs(boot), dir)?;
    }
    inputs.info.write(dir)?;
    Ok(inputs.info)
}

/// Writes the loader configs of the tree in `dir` for `base_url` and
/// records it in `pxe.toml`; nothing when they already are.
pub fn configure(dir: &Path, base_url: &str) -> Result<TreeInfo, TreeError> {
    let mut info = TreeInfo::load(dir)?;
    if info.configured_for(dir, base_url) {
        return Ok(info);
    }
    let boot = info.boot(base_url)?;
    write_tree(&plan_configs(&boot), dir)?;
    info.base_url = Some(boot.base_url().as_str().to_string());
    info.write(dir)?;
    Ok(info)
}
