//! The disk stage: `usb.img`. The GPT, GRUB's boot code for BIOS and each
//! file system written at its offset. Slot B starts empty; the first
//! upgrade fills it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use ironstor_contract::{PartitionRole, PARTITIONS};

use crate::formats::fsutil::{write_at, write_region};
use crate::formats::gpt::{Entry, GptImage, Guid};
use crate::formats::grub::{self, GrubError};
use crate::formats::layout::{Layout, SECTOR};

#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {what} into {}", .path.display())]
    Write {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Grub(#[from] GrubError),
}

pub struct DiskInputs<'a> {
    pub layout: &'a Layout,
    pub build_id: &'a str,
    /// GRUB's BIOS core image.
    pub bios_core: &'a Path,
    pub esp: &'a Path,
    pub root_a: &'a Path,
    pub data: &'a Path,
}

/// Writes `out` (via a temporary file renamed into place).
pub fn usb_image(inputs: &DiskInputs, out: &Path) -> Result<(), DiskError> {
    let layout = inputs.layout;
    let entries: Vec<Entry> = PARTITIONS
        .iter()
        .map(|&role| Entry {
            role,
            unique: Guid::derived(&format!("{}/{}", inputs.build_id, role.label())),
        })
        .collect();
    let gpt = GptImage::render(layout, Guid::derived(inputs.build_id), &entries);

    let mut mbr = gpt.primary[..SECTOR as usize].to_vec();
    let disk_signature = &Guid::derived(&format!("{}/mbr", inputs.build_id)).0[..4];
    mbr[440..444].copy_from_slice(disk_signature);
    let read = |path: &Path| {
        fs::read(path).map_err(|source| DiskError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let boot_img = read(&grub::boot_img_path())?;
    let mut core = read(inputs.bios_core)?;
    let bios = layout.get(PartitionRole::BiosBoot);
    grub::place_bios_boot(&mut mbr, &boot_img, &mut core, bios.first_lba, bios.sectors)?;

    let tmp = out.with_extension("img.partial");
    let w = |what: &'static str| {
        let path = tmp.clone();
        move |source| DiskError::Write { what, path, source }
    };
    let mut file = File::create(&tmp).map_err(w("the disk"))?;
    file.set_len(layout.total_bytes()).map_err(w("the disk"))?;
    write_at(&mut file, 0, &mbr).map_err(w("the MBR"))?;
    write_at(&mut file, SECTOR, &gpt.primary[SECTOR as usize..]).map_err(w("the GPT"))?;
    write_at(&mut file, gpt.backup_offset, &gpt.backup).map_err(w("the backup GPT"))?;
    write_at(&mut file, bios.offset(), &core).map_err(w("the core image"))?;
    for (role, src) in [
        (PartitionRole::Esp, inputs.esp),
        (PartitionRole::RootA, inputs.root_a),
        (PartitionRole::Data, inputs.data),
    ] {
        let placed = layout.get(role);
        let size = fs::metadata(src).map_err(w(role.label()))?.len();
        assert!(
            size <= placed.bytes(),
            "{} checked to fit earlier",
            role.label()
        );
        write_region(&mut file, placed.offset(), src).map_err(w(role.label()))?;
    }
    file.sync_all().map_err(w("the disk"))?;
    fs::rename(&tmp, out).map_err(|source| DiskError::Write {
        what: "the disk",
        path: out.to_path_buf(),
        source,
    })
}
