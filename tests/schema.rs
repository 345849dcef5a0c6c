//! The committed JSON Schema (`schema/account.schema.json`) is what `regcheck schema` prints.

#[test]
fn committed_schema_matches_the_model() {
    let generated = format!("{}\n", regcheck::account::json_schema());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/account.schema.json"))
            .expect("schema/account.schema.json exists");
    assert!(
        committed == generated,
        "schema/account.schema.json is out of date: run `cargo run -- schema > schema/account.schema.json`"
    );
}
