//! The drives page against `storaged --sim` (the QEMU test VM's disks).

use crate::web::tests::{text, Sim};

#[test]
fn every_disk_is_a_row_with_its_verdict_and_why() {
    let sim = Sim::with_password_partitioned(&["nvme3n1"]);
    let cookie = sim.login();
    let r = sim.get("/ui/drives", Some(&cookie));
    assert_eq!(r.status, 200, "{}", text(&r));
    let html = text(&r);
    let inventory = sim.send("GET", "/api/v1/drives", &[], None).json().unwrap();
    let disks = inventory["disks"].as_array().unwrap();
    assert!(disks.len() >= 6, "{inventory}");
    assert!(html.contains(r#"<table id="drives">"#));
    for disk in disks {
        let id = disk["id"].as_str().unwrap_or("");
        let start = format!(
            r#"<tr data-disk-id="{id}" data-kernel-name="{}""#,
            disk["kernel_name"].as_str().unwrap()
        );
        let row = html
            .split(&start)
            .nth(1)
            .unwrap_or_else(|| panic!("no row {start}: {html}"));
        let row = row.split("</tr>").next().unwrap();
        let verdict = disk["verdict"].as_str().unwrap();
        assert!(
            row.contains(&format!(">{verdict}</td>")),
            "{verdict}: {row}"
        );
        assert!(row.contains(r#"class="num temperature""#), "{row}");
        // The fixture's NVMe drives have sensors: their temperature comes
        // from the collector's sample.
        if disk["transport"] == "nvme" {
            assert!(row.contains(" °C</td>"), "no temperature: {row}");
        }
        let why = disk["reasons"][0].as_str().unwrap_or("");
        let why = why.replace('"', "&quot;").replace('\'', "&#x27;");
        assert!(row.contains(&why), "{why}: {row}");
        if verdict == "boot-medium" {
            assert!(row.contains("<strong>boot medium</strong>"), "{row}");
        }
    }
    assert!(
        html.contains(r#"class="boot-medium""#),
        "the stick is marked"
    );
    assert!(
        html.contains(r#"verdict warn">in-use</td>"#),
        "nvme3n1: {html}"
    );
    assert_eq!(sim.get("/ui/drives", None).status, 303);
}
