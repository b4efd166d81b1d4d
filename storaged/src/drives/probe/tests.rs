use super::*;
use crate::drives::craft::{self, placed, ZfsLabel};

const MIB: usize = 1024 * 1024;

/// Probes a whole in-memory device image the way the reader samples it.
fn probe_image(image: &[u8], sector_size: u32) -> Vec<Signature> {
    let size = image.len();
    let head = &image[..size.min(HEAD_LEN)];
    let tail = &image[size - size.min(TAIL_LEN)..];
    probe(&Sample {
        head,
        tail,
        size: size as u64,
        sector_size,
    })
}

fn image_with(size: usize, parts: &[(usize, &[u8])]) -> Vec<u8> {
    placed(size, parts)
}

#[test]
fn zeroed_disk_has_no_signatures() {
    assert_eq!(probe_image(&vec![0; 4 * MIB], 512), vec![]);
}

#[test]
fn gpt_is_found_at_lba1_and_its_protective_mbr_is_not_a_second_table() {
    let image = image_with(
        4 * MIB,
        &[(0, &craft::mbr(0xee)), (512, &craft::gpt_header())],
    );
    assert_eq!(probe_image(&image, 512), vec![Signature::Gpt]);
}

#[test]
fn gpt_on_a_4k_sector_disk_is_found_at_byte_4096() {
    let image = image_with(
        4 * MIB,
        &[(0, &craft::mbr(0xee)), (4096, &craft::gpt_header())],
    );
    assert_eq!(probe_image(&image, 4096), vec![Signature::Gpt]);
    assert_eq!(
        probe_image(&image, 512),
        vec![Signature::Mbr],
        "a 512-byte reader sees only the MBR"
    );
}

#[test]
fn dos_table_with_a_used_entry_is_a_partition_table() {
    let image = image_with(4 * MIB, &[(0, &craft::mbr(0x83))]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Mbr]);
}

#[test]
fn boot_signature_without_partition_entries_is_not_a_partition_table() {
    let image = image_with(4 * MIB, &[(510, &[0x55, 0xaa])]);
    assert_eq!(probe_image(&image, 512), vec![]);
}

#[test]
fn fat_boot_sector_is_a_file_system_not_a_partition_table() {
    let image = image_with(4 * MIB, &[(0, &craft::fat32_boot_sector())]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Fat]);
}

#[test]
fn ntfs_boot_sector_is_a_file_system_not_a_partition_table() {
    let image = image_with(4 * MIB, &[(0, &craft::ntfs_boot_sector())]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Ntfs]);
}

#[test]
fn ext_magic_is_found_at_byte_1080() {
    let image = image_with(4 * MIB, &[(1024, &craft::ext4_superblock())]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Ext]);
    let off_by_one = image_with(4 * MIB, &[(1025, &craft::ext4_superblock())]);
    assert_eq!(probe_image(&off_by_one, 512), vec![]);
}

#[test]
fn xfs_magic_is_found_at_byte_0() {
    let image = image_with(4 * MIB, &[(0, &craft::xfs_superblock())]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Xfs]);
}

#[test]
fn lvm2_label_is_found_in_the_second_sector() {
    let image = image_with(4 * MIB, &[(512, &craft::lvm2_label())]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Lvm2]);
}

#[test]
fn zfs_uberblocks_are_found_in_label_0_in_either_byte_order() {
    for big_endian in [false, true] {
        let label = craft::zfs_label(ZfsLabel::Full { big_endian });
        let image = image_with(4 * MIB, &[(0, &label)]);
        assert_eq!(
            probe_image(&image, 512),
            vec![Signature::Zfs],
            "big endian: {big_endian}"
        );
    }
    let label = craft::zfs_label(ZfsLabel::UberblocksOnly);
    let image = image_with(4 * MIB, &[(0, &label)]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Zfs]);
}

#[test]
fn zfs_label_nvlist_alone_is_enough() {
    let label = craft::zfs_label(ZfsLabel::NvlistOnly);
    let image = image_with(4 * MIB, &[(256 * 1024, &label)]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Zfs], "label 1");
}

#[test]
fn zfs_back_labels_are_found_when_the_front_ones_were_wiped() {
    // An unaligned size: the back labels end at the size rounded down to
    // 256 KiB, not at the last byte.
    let size = 4 * MIB + 300 * 1024 + 512;
    let aligned = size / (256 * 1024) * (256 * 1024);
    let label = craft::zfs_label(ZfsLabel::UberblocksOnly);
    let label3 = image_with(size, &[(aligned - 256 * 1024, &label)]);
    assert_eq!(probe_image(&label3, 512), vec![Signature::Zfs], "label 3");
    let label2 = image_with(size, &[(aligned - 512 * 1024, &label)]);
    assert_eq!(probe_image(&label2, 512), vec![Signature::Zfs], "label 2");
    let misplaced = image_with(size, &[(size - 256 * 1024, &label)]);
    assert_eq!(
        probe_image(&misplaced, 512),
        vec![],
        "not where ZFS puts labels"
    );
}

#[test]
fn pool_guid_outside_a_label_nvlist_is_not_a_zfs_label() {
    // In label 0's uberblock ring, and in data beyond the front labels.
    let image = image_with(
        4 * MIB,
        &[(200 * 1024, b"pool_guid"), (2 * MIB, b"pool_guid")],
    );
    assert_eq!(probe_image(&image, 512), vec![]);
}

#[test]
fn ddf_anchor_is_found_in_the_last_sector() {
    let image = image_with(4 * MIB, &[(4 * MIB - 512, &craft::ddf_anchor())]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Ddf]);
    let image = image_with(4 * MIB, &[(4 * MIB - 4096, &craft::ddf_anchor())]);
    assert_eq!(probe_image(&image, 4096), vec![Signature::Ddf], "4Kn");
}

#[test]
fn imsm_signature_is_found_in_the_second_to_last_sector_only() {
    let image = image_with(4 * MIB, &[(4 * MIB - 1024, &craft::imsm_mpb())]);
    assert_eq!(probe_image(&image, 512), vec![Signature::Imsm]);
    let last = image_with(4 * MIB, &[(4 * MIB - 512, &craft::imsm_mpb())]);
    assert_eq!(probe_image(&last, 512), vec![]);
}

#[test]
fn a_disk_can_carry_several_signatures() {
    let image = image_with(
        4 * MIB,
        &[
            (0, &craft::mbr(0xee)),
            (512, &craft::gpt_header()),
            (4 * MIB - 512, &craft::ddf_anchor()),
        ],
    );
    assert_eq!(
        probe_image(&image, 512),
        vec![Signature::Gpt, Signature::Ddf]
    );
}

#[test]
fn devices_smaller_than_the_sample_windows_are_probed_without_panicking() {
    for size in [0, 1, 511, 1024, 4096, 300 * 1024] {
        let image = vec![0; size];
        assert_eq!(probe_image(&image, 512), vec![], "size {size}");
    }
    let tiny_ext = image_with(2048, &[(1024, &craft::ext4_superblock())]);
    assert_eq!(probe_image(&tiny_ext, 512), vec![Signature::Ext]);
}

#[test]
fn partition_heads_are_probed_without_a_tail() {
    let image = image_with(HEAD_LEN, &[(1024, &craft::ext4_superblock())]);
    let found = probe(&Sample {
        head: &image,
        tail: &[],
        size: 64 * MIB as u64,
        sector_size: 512,
    });
    assert_eq!(found, vec![Signature::Ext]);
}

#[test]
fn reader_takes_the_head_and_tail_of_a_sparse_device_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sdx");
    let size: u64 = 10 * 1024 * 1024 * 1024;
    let file = File::create(&path).unwrap();
    file.set_len(size).unwrap();
    file.write_all_at(&craft::gpt_header(), 512).unwrap();
    file.write_all_at(&craft::ddf_anchor(), size - 512).unwrap();
    let (head, tail) = read_sample(&path, 0, size, true).unwrap();
    assert_eq!((head.len(), tail.len()), (HEAD_LEN, TAIL_LEN));
    let sample = Sample {
        head: &head,
        tail: &tail,
        size,
        sector_size: 512,
    };
    assert_eq!(probe(&sample), vec![Signature::Gpt, Signature::Ddf]);
}

#[test]
fn reader_reads_a_partition_from_its_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sdx");
    let file = File::create(&path).unwrap();
    file.set_len(8 * MIB as u64).unwrap();
    file.write_all_at(&craft::ext4_superblock(), MIB as u64 + 1024)
        .unwrap();
    let (head, tail) = read_sample(&path, MIB as u64, 4 * MIB as u64, false).unwrap();
    assert!(tail.is_empty());
    assert_eq!(&head[1080..1082], &[0x53, 0xef]);
}

#[test]
fn reader_reports_a_device_shorter_than_its_sysfs_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sdx");
    File::create(&path).unwrap().set_len(MIB as u64).unwrap();
    let err = read_sample(&path, 0, 4 * MIB as u64, true).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}
