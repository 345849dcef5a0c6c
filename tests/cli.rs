//! CLI snapshot tests as data: each `tests/cmd/*.toml` runs `regcheck` and compares exit code,
//! standard output and standard error with the snapshots next to it (`.stdout`, `.stderr`, or
//! inline). Regenerate with `TRYCMD=overwrite cargo test --test cli`, then read every snapshot.

#[test]
fn cli() {
    trycmd::TestCases::new()
        .register_bin("regcheck", std::path::Path::new(env!("CARGO_BIN_EXE_regcheck")))
        .env("NO_COLOR", "1")
        .case("tests/cmd/*.toml");
}
