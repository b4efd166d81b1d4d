//! The initramfs is shell (`rootfs/initramfs/scripts/`), so it cannot use
//! this crate: it spells the contract's names itself. These tests read the
//! scripts and hold them to the constants, both ways: every name the
//! contract defines for the initramfs is spelled there as defined, and
//! every contract-looking name the scripts use is one the contract defines.
//! Changing a constant without the script (or the reverse) fails here.

use std::fs;
use std::path::PathBuf;

use ironstor_contract::netboot::{
    BOOT_SCRIPT, NET_SLOT, ROOT_SHA256_KEY, ROOT_URL_KEY, VAR_SOURCE_FILE, VAR_SOURCE_PARTITION,
    VAR_SOURCE_TMPFS,
};
use ironstor_contract::slot::{CMDLINE_SLOT_KEY, CMDLINE_TRIAL_FLAG};
use ironstor_contract::{PartitionRole, PARTITIONS};

fn scripts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../rootfs/initramfs/scripts")
}

fn script(rel: &str) -> String {
    let path = scripts_dir().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every script, with comments: a comment that names a key documents it,
/// and should be as right as the code.
fn all_scripts() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![scripts_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let text = fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
    }
    assert!(out.len() >= 4, "found only {} scripts", out.len());
    out
}

fn assert_contains(text: &str, want: &str, what: &str) {
    assert!(
        text.contains(want),
        "{what}: expected the script to contain {want:?}; the contract and the initramfs disagree"
    );
}

/// Words that start with `prefix` and continue with name characters.
fn words_starting(text: &str, prefix: &str, name_char: fn(char) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let tail = &rest[at + prefix.len()..];
        let len = tail.find(|c: char| !name_char(c)).unwrap_or(tail.len());
        found.push(format!("{prefix}{}", &tail[..len]));
        rest = &tail[len..];
    }
    found
}

#[test]
fn net_boot_script_is_named_by_the_boot_word() {
    let path = scripts_dir().join(BOOT_SCRIPT);
    assert!(
        path.is_file(),
        "boot={BOOT_SCRIPT} needs {}; initramfs-tools runs /scripts/<boot word>",
        path.display()
    );
}

#[test]
fn net_boot_reads_the_contract_command_line_keys() {
    let net = script(BOOT_SCRIPT);
    assert_contains(
        &net,
        &format!("ironstor_cmdline_value {ROOT_URL_KEY})"),
        "root URL key",
    );
    assert_contains(
        &net,
        &format!("ironstor_cmdline_value {ROOT_SHA256_KEY})"),
        "root sha256 key",
    );
    assert_contains(
        &net,
        &format!("{CMDLINE_SLOT_KEY}={NET_SLOT}"),
        "the network boot's slot word, as documented",
    );
}

#[test]
fn var_marker_is_the_contract_file_with_the_contract_words() {
    let functions = script("ironstor-functions");
    assert_contains(
        &functions,
        &format!("IRONSTOR_VAR_MARKER=/{VAR_SOURCE_FILE}\n"),
        "var source file",
    );
    assert_contains(
        &functions,
        &format!("echo \"{VAR_SOURCE_PARTITION} $dev\" >\"$IRONSTOR_VAR_MARKER\""),
        "var source: partition",
    );
    assert_contains(
        &functions,
        &format!("echo \"{VAR_SOURCE_TMPFS}\" >\"$IRONSTOR_VAR_MARKER\""),
        "var source: tmpfs",
    );
}

#[test]
fn data_partition_is_found_by_the_contract_label() {
    let functions = script("ironstor-functions");
    assert_contains(
        &functions,
        &format!("PARTLABEL={}", PartitionRole::Data.label()),
        "data partition label",
    );
}

#[test]
fn scripts_use_no_command_line_key_or_label_the_contract_lacks() {
    let keys = [
        CMDLINE_SLOT_KEY,
        CMDLINE_TRIAL_FLAG,
        ROOT_URL_KEY,
        ROOT_SHA256_KEY,
    ];
    let labels: Vec<&str> = PARTITIONS.iter().map(|p| p.label()).collect();
    let key_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let label_char = |c: char| c.is_ascii_alphanumeric() || c == '-';
    for (path, text) in all_scripts() {
        for key in words_starting(&text, "ironstor.", key_char) {
            assert!(
                keys.contains(&key.as_str()),
                "{path} uses command-line key {key}, which the contract does not define"
            );
        }
        for label in words_starting(&text, "PARTLABEL=", label_char)
            .iter()
            .chain(&words_starting(&text, "PARTLABEL ", label_char))
        {
            let (_, name) = label.split_at("PARTLABEL=".len());
            assert!(
                labels.contains(&name),
                "{path} names partition {name:?}, which is not a contract label ({labels:?})"
            );
        }
    }
}
