//! The shipped catalog loads, and broken catalogs are refused with the file and entry named.

mod common;

#[test]
fn the_shipped_catalog_loads_with_all_fourteen_items() {
    let catalog = common::catalog();
    let codes: Vec<&str> = catalog.items().iter().map(|i| i.code.as_str()).collect();
    assert_eq!(codes.len(), 14, "{codes:?}");
    common::calendar();
    common::regions();
}
