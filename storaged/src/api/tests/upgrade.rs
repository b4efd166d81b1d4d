//! The upgrade endpoints over the real listeners: a bundle upload is not
//! held to the 64 KiB body limit, and a network-booted appliance refuses
//! it with the reason; `/` leads to the web console.

use super::*;

#[test]
fn a_network_boot_refuses_an_upload_of_any_size() {
    let h = Harness::local_with_root(|root| {
        std::fs::create_dir_all(root.join("proc")).unwrap();
        std::fs::write(root.join("proc/cmdline"), "ro ironstor.slot=net\n").unwrap();
    });
    let big = vec![0x5au8; 3 << 20];
    let r = h.call_raw("POST", "/upgrade/bundle", "application/octet-stream", &big);
    assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        error_message(&r).contains("the server's tree is its upgrade"),
        "{}",
        error_message(&r)
    );
    let status = h.expect("GET", "/upgrade", None, 200);
    assert_eq!(status["booted"], "net");
    assert_eq!(status["blessed"], false);
    assert_documented("GET", "/upgrade", 200, &status);
}

#[test]
fn upgrades_need_a_login_and_the_page_is_served() {
    let h = Harness::with_https();
    let r = h.https("GET", "/upgrade", &[], None);
    assert_eq!(r.status, 401);
    // The console: `/` leads to it, and before setup it asks for that.
    let mut stream = h.tls_stream();
    let root = client::send_raw(&mut stream, "GET", "/", &[], None).unwrap();
    assert_eq!(root.status, 303);
    assert_eq!(root.header("location"), Some("/ui/"));
    let mut stream = h.tls_stream();
    let page = client::send_raw(&mut stream, "GET", "/ui/upgrade", &[], None).unwrap();
    assert_eq!(page.header("location"), Some("/ui/setup"));
    let mut stream = h.tls_stream();
    let page = client::send_raw(&mut stream, "GET", "/ui/setup", &[], None).unwrap();
    assert_eq!(page.status, 200);
    assert!(String::from_utf8_lossy(&page.body).contains("<title>Set up · ironstor</title>"));
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
}
