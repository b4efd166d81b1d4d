//! The data stage: an empty ext4 for `/var`; the first boot fills it from
//! the factory copy and grows it to fill the medium.

use std::fs::{self, File};
use std::path::Path;

use ironstor_contract::PartitionRole;

use crate::formats::fsutil::{io_err, PathError};
use crate::formats::gpt::Guid;
use crate::host::run::{Cmd, RunError};
use crate::profile::Profile;

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(transparent)]
    Io(#[from] PathError),
    #[error("cannot make the data file system")]
    Mkfs(#[source] RunError),
}

/// Makes `out`, the data partition's file system, sized by the profile.
pub fn data(profile: &Profile, build_id: &str, out: &Path) -> Result<(), DataError> {
    let _ = fs::remove_file(out);
    File::create(out)
        .and_then(|f| f.set_len(profile.disk.data_size))
        .map_err(io_err("create", out))?;
    let uuid = Guid::derived(&format!("{build_id}/data")).uuid_text();
    Cmd::new("mkfs.ext4")
        .args(["-q", "-F", "-L", PartitionRole::Data.label(), "-U"])
        .arg(uuid)
        .args(["-E", "root_owner=0:0"])
        .arg(out)
        .env("E2FSPROGS_FAKE_TIME", "1")
        .run()
        .map_err(DataError::Mkfs)?;
    Ok(())
}
