//! Markdown: a name in a heading is a code span that shows it as it is
//! (CommonMark has no escapes inside one: a fence longer than its backtick
//! runs instead), and a table cell's text makes no link (tester133: a host
//! name showed `lab\|host*name'x'`; a reason phrase `[l](http://e)` became
//! a link).

mod common;

use common::provscope_cli as provscope;

#[test]
fn headings_show_names_as_they_are_and_cells_make_no_links() {
    let o = provscope(&[
        "-f",
        "markdown",
        "captures/edge-dhcp-hostname-markdown-metachars.pcap",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("### FAIL `` lab|host*name`x` `` ("), "{out}");
    let o = provscope(&[
        "-f",
        "markdown",
        "captures/edge-http-404-reason-markdown-link.pcap",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(r"\[l\](http://e) \\ end |"), "{out}");
    assert!(!out.contains("[l](http://e)"), "{out}");
}
