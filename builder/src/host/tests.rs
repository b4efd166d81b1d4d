use std::collections::BTreeMap;
use std::fs;

use super::*;

/// Plays apt on a temp-dir root: each package ships some files, and
/// installing one may remove other packages (their files go away), the way
/// apt resolves a conflict.
struct FakeApt {
    root: PathBuf,
    ships: BTreeMap<&'static str, Vec<&'static str>>,
    removes: BTreeMap<&'static str, Vec<&'static str>>,
    lists_fresh: bool,
    installs: Vec<Vec<String>>,
}

impl FakeApt {
    fn new(root: &Path) -> FakeApt {
        FakeApt {
            root: root.to_path_buf(),
            ships: BTreeMap::new(),
            removes: BTreeMap::new(),
            lists_fresh: true,
            installs: Vec::new(),
        }
    }

    fn package(mut self, name: &'static str, files: &[&'static str]) -> FakeApt {
        self.ships.insert(name, files.to_vec());
        self
    }

    fn installing_removes(mut self, name: &'static str, removed: &[&'static str]) -> FakeApt {
        self.removes.insert(name, removed.to_vec());
        self
    }

    /// Puts a package's files in place without going through `install`, as
    /// the machine came.
    fn preinstalled(self, name: &str) -> FakeApt {
        put_files(&self.root, &self.ships[name]);
        self
    }
}

/// What apt-get's failure looks like through [`Apt`].
fn apt_failure(packages: &[String], stderr: String) -> HostError {
    HostError::Install {
        packages: packages.to_vec(),
        source: RunError::Failed {
            command: format!("apt-get install {}", packages.join(" ")),
            status: "exit status: 100".into(),
            stderr,
            log: None,
        },
    }
}

fn put_files(root: &Path, files: &[&str]) {
    for file in files {
        let path = root.join(file.trim_start_matches('/'));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "").unwrap();
    }
}

impl PackageManager for FakeApt {
    fn can_install(&self) -> bool {
        true
    }

    fn update(&mut self) -> Result<(), HostError> {
        self.lists_fresh = true;
        Ok(())
    }

    fn install(&mut self, packages: &[String]) -> Result<(), HostError> {
        if !self.lists_fresh {
            return Err(apt_failure(packages, "E: Unable to locate package".into()));
        }
        // apt will not install two conflicting packages in one run.
        for package in packages {
            let removes = self.removes.get(package.as_str()).into_iter().flatten();
            if let Some(other) = removes
                .into_iter()
                .find(|r| packages.iter().any(|p| p == *r))
            {
                let stderr = format!("E: {package} conflicts with {other}");
                return Err(apt_failure(packages, stderr));
            }
        }
        self.installs.push(packages.to_vec());
        for package in packages {
            for gone in self.removes.get(package.as_str()).into_iter().flatten() {
                for file in &self.ships[gone] {
                    let _ = fs::remove_file(self.root.join(file.trim_start_matches('/')));
                }
            }
        }
        for package in packages {
            put_files(&self.root, &self.ships[package.as_str()]);
        }
        Ok(())
    }
}

const QEMU_NEEDS: &[Need] = &[
    need("/usr/bin/qemu-system-x86_64", "qemu-system-x86"),
    need("/usr/bin/qemu-img", "qemu-utils"),
    need(
        "/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so",
        "qemu-block-extra",
    ),
];

/// The fresh machine of issue 10: a backported qemu-utils 10.0 was there,
/// and installing Debian 12's qemu-block-extra 7.2 made apt remove it, so
/// qemu-img vanished. Installing qemu-utils again takes the 7.2 apt offers,
/// which stays.
#[test]
fn ensure_reinstalls_what_an_install_removed() {
    let root = tempfile::tempdir().unwrap();
    let mut apt = FakeApt::new(root.path())
        .package("qemu-system-x86", &["/usr/bin/qemu-system-x86_64"])
        .package("qemu-utils", &["/usr/bin/qemu-img"])
        .package(
            "qemu-block-extra",
            &["/usr/lib/x86_64-linux-gnu/qemu/block-iscsi.so"],
        )
        .installing_removes("qemu-block-extra", &["qemu-utils"])
        .preinstalled("qemu-utils");

    ensure(QEMU_NEEDS, root.path(), &mut apt).unwrap();

    assert!(missing(QEMU_NEEDS, root.path()).is_empty());
    assert_eq!(
        apt.installs,
        vec![
            vec![
                "qemu-block-extra".to_string(),
                "qemu-system-x86".to_string()
            ],
            vec!["qemu-utils".to_string()],
        ]
    );
}

#[test]
fn ensure_names_both_packages_of_a_true_conflict() {
    let root = tempfile::tempdir().unwrap();
    let needs = [need("/usr/bin/a", "pkg-a"), need("/usr/bin/b", "pkg-b")];
    let mut apt = FakeApt::new(root.path())
        .package("pkg-a", &["/usr/bin/a"])
        .package("pkg-b", &["/usr/bin/b"])
        .installing_removes("pkg-a", &["pkg-b"])
        .installing_removes("pkg-b", &["pkg-a"])
        .preinstalled("pkg-b");

    let err = ensure(&needs, root.path(), &mut apt).unwrap_err();

    assert!(
        matches!(&err, HostError::Conflict { first, second } if first == "pkg-a" && second == "pkg-b"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with("host packages pkg-a and pkg-b conflict"),
        "{text}"
    );
}

/// Both missing at once: apt refuses the pair, so they go one at a time,
/// and each pushes the other out.
#[test]
fn ensure_names_a_conflict_apt_refuses_in_one_run() {
    let root = tempfile::tempdir().unwrap();
    let needs = [need("/usr/bin/a", "pkg-a"), need("/usr/bin/b", "pkg-b")];
    let mut apt = FakeApt::new(root.path())
        .package("pkg-a", &["/usr/bin/a"])
        .package("pkg-b", &["/usr/bin/b"])
        .installing_removes("pkg-a", &["pkg-b"])
        .installing_removes("pkg-b", &["pkg-a"]);

    let err = ensure(&needs, root.path(), &mut apt).unwrap_err();

    assert!(
        matches!(&err, HostError::Conflict { .. }),
        "{err:?} after {:?}",
        apt.installs
    );
    let text = err.to_string();
    assert!(text.contains("pkg-a") && text.contains("pkg-b"), "{text}");
}

#[test]
fn ensure_refreshes_package_lists_when_install_fails() {
    let root = tempfile::tempdir().unwrap();
    let needs = [need("/usr/bin/a", "pkg-a")];
    let mut apt = FakeApt::new(root.path()).package("pkg-a", &["/usr/bin/a"]);
    apt.lists_fresh = false;

    ensure(&needs, root.path(), &mut apt).unwrap();

    assert_eq!(apt.installs, vec![vec!["pkg-a".to_string()]]);
}

#[test]
fn ensure_stops_when_a_package_does_not_ship_the_file() {
    let root = tempfile::tempdir().unwrap();
    let needs = [need("/usr/bin/a", "pkg-a")];
    let mut apt = FakeApt::new(root.path()).package("pkg-a", &["/usr/bin/other"]);

    let err = ensure(&needs, root.path(), &mut apt).unwrap_err();

    assert!(matches!(err, HostError::NotShipped { .. }), "{err:?}");
}

#[test]
fn ensure_without_root_names_the_missing_packages() {
    struct NotRoot;
    impl PackageManager for NotRoot {
        fn can_install(&self) -> bool {
            false
        }
        fn update(&mut self) -> Result<(), HostError> {
            unreachable!()
        }
        fn install(&mut self, _: &[String]) -> Result<(), HostError> {
            unreachable!()
        }
    }
    let root = tempfile::tempdir().unwrap();
    let err = ensure(QEMU_NEEDS, root.path(), &mut NotRoot).unwrap_err();
    assert!(
        matches!(&err, HostError::Missing(p) if p.len() == 3),
        "{err:?}"
    );
}

#[test]
fn missing_lists_each_package_once() {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir_all(root.path().join("bin")).unwrap();
    fs::write(root.path().join("bin/sh"), "").unwrap();
    let needs = [
        need("/nonexistent/a", "pkg-a"),
        need("/nonexistent/b", "pkg-a"),
        need("/bin/sh", "dash"),
    ];
    assert_eq!(missing(&needs, root.path()), vec!["pkg-a".to_string()]);
}

#[test]
fn missing_error_names_the_install_command() {
    let err = HostError::Missing(vec!["mtools".into(), "dosfstools".into()]);
    assert_eq!(
        err.to_string(),
        "missing host packages: mtools, dosfstools. Run as root to have them installed, or: apt-get install mtools dosfstools"
    );
}

#[test]
#[should_panic(
    expected = "host_tools test tier: missing /nonexistent/grub-mkimage (Debian package grub-common)"
)]
fn host_tools_tier_names_a_missing_tool_and_its_package() {
    require(&[("/nonexistent/grub-mkimage", "grub-common")]);
}
