use std::sync::Arc;

use super::*;
use crate::account;
use crate::audit::{self, FailOn, Judgement};
use crate::diagnostic::SourceText;
use crate::engine::Settings;
use crate::findings::WaiverNote;
use crate::policy;

const EXAMPLE: &str = include_str!("../../../examples/account.toml");

/// Every payload a name could carry to break out of text, an attribute, the style or the script.
const HOSTILE: &str = "x</style><script>window.pwned=1</script>\"' onmouseover=\"pwned()\" \
                       <img src=x onerror=alert(1)>javascript:alert(1)&amp;\u{202E}gnp.exe<!--";

fn audit_of(name: &str, text: &str, policies: Vec<Arc<Policy>>) -> AuditReport {
    let account = account::load_str(name, text.to_owned()).expect("the test account loads");
    let settings = Settings {
        record_passes: false,
        ..Settings::new("2026-11-26T00:00:00Z".parse().expect("a time"))
    };
    audit::run(
        vec![account],
        Vec::new(),
        policies,
        &settings,
        FailOn(Some(Severity::Low)),
        &Judgement::default(),
    )
}

fn example() -> AuditReport {
    audit_of(
        "examples/account.toml",
        EXAMPLE,
        policy::builtin().expect("the built-in policies load"),
    )
}

fn render(report: &AuditReport) -> String {
    let mut bytes = Vec::new();
    write(report, &mut bytes).expect("renders");
    String::from_utf8(bytes).expect("UTF-8")
}

/// The tags and attributes the page is built from: anything else in the output came from data.
const TAGS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "style", "script", "body", "header", "footer", "section",
    "h1", "h2", "h3", "p", "span", "b", "br", "table", "thead", "tbody", "tr", "th", "td", "a", "ul", "li",
    "form", "label", "select", "option", "input", "button", "details", "summary", "div", "dl", "dt", "dd",
    "pre", "mark", "code",
];
const ATTRIBUTES: &[&str] = &[
    "lang",
    "charset",
    "name",
    "content",
    "http-equiv",
    "class",
    "id",
    "href",
    "title",
    "value",
    "type",
    "checked",
    "hidden",
    "open",
    "colspan",
];

/// Reads the page as a browser's tokenizer would (tags, quoted attributes, the raw text of
/// `<style>` and `<script>`) and checks that every tag, attribute and link is one the page
/// writes itself, and that the style and script are exactly the page's own.
fn assert_structure(html: &str) {
    let mut rest = html;
    let mut scripts = 0;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        assert!(!text.contains('>'), "a stray `>` in text: {text:?}");
        rest = &rest[open + 1..];
        let closing = rest.starts_with('/');
        let body = rest.trim_start_matches('/');
        let name_end = body
            .find(|c: char| c.is_whitespace() || c == '>')
            .expect("a tag ends");
        let name = &body[..name_end];
        assert!(TAGS.contains(&name), "unexpected tag <{name}>");
        let mut attrs = &body[name_end..];
        loop {
            attrs = attrs.trim_start();
            if let Some(after) = attrs.strip_prefix('>') {
                attrs = after;
                break;
            }
            let end = attrs
                .find(|c: char| c == '=' || c == '>' || c.is_whitespace())
                .expect("an attribute ends");
            let attr = &attrs[..end];
            assert!(
                ATTRIBUTES.contains(&attr)
                    || attr.starts_with("data-")
                    || (name == "!DOCTYPE" && attr == "html"),
                "unexpected attribute `{attr}` on <{name}>"
            );
            attrs = &attrs[end..];
            if let Some(after) = attrs.strip_prefix('=') {
                let after = after.strip_prefix('"').expect("attribute values are quoted");
                let close = after.find('"').expect("a quoted value ends");
                let value = &after[..close];
                assert!(!value.contains('<'), "`<` in the attribute {attr}={value:?}");
                if attr == "href" {
                    assert!(value.starts_with('#'), "a link leaves the page: {value:?}");
                }
                attrs = &after[close + 1..];
            }
        }
        rest = attrs;
        if !closing && (name == "style" || name == "script") {
            let end = rest.find(&format!("</{name}>")).expect("raw text ends");
            let raw = &rest[..end];
            if name == "style" {
                assert_eq!(raw, STYLE, "the style is the page's own");
            } else {
                assert_eq!(raw, SCRIPT, "the script is the page's own");
                scripts += 1;
            }
            rest = &rest[end..];
        }
    }
    assert_eq!(scripts, 1, "one script: the page's own");
}

#[test]
fn text_is_escaped_for_content_and_attributes() {
    assert_eq!(
        Text("<a href=\"x\">'&'</a>").to_string(),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(
        Text("a\u{202E}b\u{1b}[31mc\td\ne").to_string(),
        "a\u{FFFD}b\u{FFFD}[31mc\td\ne"
    );
    assert_eq!(Text("plain").to_string(), "plain");
}

#[test]
fn the_example_is_one_self_contained_well_formed_page() {
    let report = example();
    let html = render(&report);
    assert_structure(&html);
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    assert!(html.contains("content=\"default-src 'none'; style-src 'sha256-"));
    for fetch in ["http://", "https://", "src=", "@import", "url("] {
        let outside_text = html.replace("https://github.example", "");
        assert!(
            !outside_text.contains(fetch) || fetch.starts_with("http"),
            "{fetch}"
        );
    }
    assert!(!html.contains("src="), "nothing is loaded");
    assert!(
        !STYLE.contains("url(") && !STYLE.contains("@import"),
        "the style loads nothing"
    );
    assert!(!SCRIPT.contains("fetch(") && !SCRIPT.contains("XMLHttpRequest"));
    // The only time is the as-of time; the bytes do not change from one run to the next.
    assert!(html.contains("2026-11-26T00:00:00Z"));
    assert_eq!(html, render(&report));
    // The fix command's place in every finding (issue 13 item 1 fills it).
    let findings = html.matches("<details class=\"finding\"").count();
    assert_eq!(findings, report.failing().count());
    assert_eq!(html.matches("<div class=\"fix\"").count(), findings);
}

#[test]
fn the_csp_hashes_are_those_of_the_style_and_script() {
    let html = render(&example());
    assert!(html.contains(&format!("style-src 'sha256-{}'", sha256_base64(STYLE))));
    assert!(html.contains(&format!("script-src 'sha256-{}'", sha256_base64(SCRIPT))));
    // RFC 4648's test vectors.
    for (input, expected) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(input.as_bytes()), expected);
    }
}

#[test]
fn heat_map_cells_agree_with_the_responsibility_matrix() {
    let report = example();
    let html = render(&report);
    let rows: Vec<&str> = html
        .split("<tr data-duty=")
        .skip(1)
        .map(|row| &row[..row.find("</tr>").expect("a row ends")])
        .collect();
    assert_eq!(rows.len(), responsibility::rows().len() + 1, "IBM's rows and BP");
    let mut json = Vec::new();
    super::super::responsibilities::write_json(&report, &mut json).expect("renders");
    let matrix: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
    for (row, expected) in rows.iter().zip(matrix["rows"].as_array().expect("rows")) {
        let status = expected["status"][0]["status"].as_str().expect("a status");
        let class = row
            .split("class=\"cell ")
            .nth(1)
            .and_then(|c| c.split('"').next())
            .expect("a cell");
        let expected_class = match status {
            "ibm" => vec!["s-ibm"],
            "pass" => vec!["s-pass"],
            "not_applicable" => vec!["s-na"],
            "error" => vec!["s-error"],
            "not_covered" => vec!["s-nc"],
            "fail" => vec!["s-critical", "s-high", "s-medium", "s-low"],
            other => panic!("unknown status {other}"),
        };
        assert!(
            expected_class.contains(&class),
            "{status} shown as {class}: {row}"
        );
    }
    // The example's Tokyo registry has no route: tracking events fails critical.
    let tracking = rows
        .iter()
        .find(|r| r.contains("<b>Tracking events</b>"))
        .expect("R1");
    assert!(tracking.contains("class=\"cell s-critical\""), "{tracking}");
}

#[test]
fn source_lines_are_numbered_marked_and_escaped() {
    let html = render(&example());
    // ICR-AT-001 points at the Tokyo registry's region, line 27 of the example.
    assert!(
        html.contains("<span class=\"ln\">27</span><mark>region</mark> = &quot;jp-tok&quot;\n"),
        "{}",
        &html[html.find("<pre class=\"src\">").unwrap_or(0)..][..300]
    );
}

#[test]
fn hostile_names_cannot_inject_anything() {
    let account = format!(
        "schema_version = 1\n[account]\nid = \"acct-1\"\nname = {name}\ncaptured_at = 2026-11-25T00:00:00Z\n\n\
         [[registries]]\nregion = \"us-south\"\n",
        name = serde_json::to_string(HOSTILE).expect("JSON")
    );
    let rule = format!(
        "id = \"ACME-XSS-001\"\ntitle = {h}\nseverity = \"high\"\nresponsibility = {h}\n\
         for_each = \"$.account\"\nassert = \"false\"\nsubject = \"acct:{{item.name}}\"\n\
         message = \"{{item.name}} is hostile\"\n\
         [fix]\ncommand = \"ibmcloud cr va-version-set {{item.name}}\"\n[docs]\nsummary = {h}\nrationale = {h}\nremediation = {h}\n",
        h = serde_json::to_string(HOSTILE).expect("JSON")
    );
    let policies =
        policy::load_sources(vec![SourceText::new(HOSTILE, rule)], false).expect("the hostile policy loads");
    let mut report = audit_of(&format!("{HOSTILE}.toml"), &account, policies);
    // A waiver whose reason, owner and position are hostile too.
    let finding = report.audits[0].outcomes[0]
        .findings
        .first_mut()
        .expect("the rule fails");
    finding.status = FindingStatus::Waived;
    finding.waiver = Some(WaiverNote {
        reason: HOSTILE.to_owned(),
        expires: HOSTILE.to_owned(),
        owner: Some(HOSTILE.to_owned()),
        expired: false,
        position: HOSTILE.to_owned(),
    });
    let html = render(&report);
    assert_structure(&html);
    assert!(!html.contains("<img"), "no injected element");
    assert!(!html.contains("\u{202E}"), "no bidirectional override");
    let escaped = Text(HOSTILE).to_string();
    for place in [
        "<title>",
        "<th class=\"acct\">",
        "<option value=\"0\">",
        "<code>ACME-XSS-001</code> ",
    ] {
        let at = html.find(place).unwrap_or_else(|| panic!("{place} is written"));
        assert!(
            html[at..].contains(&escaped),
            "the hostile name appears escaped after {place}"
        );
    }
    assert!(
        html.matches(&escaped).count() >= 10,
        "every hostile text is shown, escaped"
    );
    // The fix command: the value quoted for bash, then escaped for HTML.
    let command = format!(
        "ibmcloud cr va-version-set {}",
        crate::findings::shell_quote(HOSTILE)
    );
    assert!(html.contains("data-fix=\"command\""), "the fix is shown");
    assert!(html.contains(&Text(&command).to_string()), "{command}");
}

#[test]
fn large_rules_show_the_most_severe_findings_and_count_the_rest() {
    let mut report = example();
    let audit = &mut report.audits[0];
    let outcome = audit
        .outcomes
        .iter_mut()
        .find(|o| o.status == RuleStatus::Fail)
        .expect("a failing rule");
    let template = outcome.findings[0].clone();
    let extra = SHOWN_PER_RULE + 7;
    for i in 0..extra {
        let mut finding = template.clone();
        finding.subject = format!("{}#copy-{i:03}", template.subject);
        finding.fingerprint = format!("{i:016x}");
        outcome.findings.push(finding);
    }
    let rule = outcome.rule_id.clone();
    let failing = outcome
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
        .count();
    let html = render(&report);
    let block = &html[html
        .find(&format!("<code>{rule}</code>"))
        .expect("the rule's block")..];
    let block = &block[..block
        .find("<details class=\"rule\"")
        .or_else(|| block.find("</section>"))
        .expect("the block ends")];
    assert_eq!(
        block.matches("<details class=\"finding\"").count(),
        SHOWN_PER_RULE
    );
    let hidden = failing - SHOWN_PER_RULE;
    assert!(
        block.contains(&format!(
            "data-count=\"{hidden}\">and {hidden} more failing findings"
        )),
        "{block}"
    );
    assert!(html.contains(&format!("at most {SHOWN_PER_RULE} findings in full")));
    // Counts cover every finding.
    assert!(block.contains(&format!("{failing} failing")));
}

#[test]
fn waived_expired_and_baselined_findings_are_shown_as_such() {
    let mut report = example();
    let waiver = |expired| WaiverNote {
        reason: "sandbox".to_owned(),
        expires: "2026-01-31".to_owned(),
        owner: Some("platform-team".to_owned()),
        expired,
        position: "regcheck.toml:12:1".to_owned(),
    };
    let mut failing = report.audits[0]
        .outcomes
        .iter_mut()
        .flat_map(|o| o.findings.iter_mut())
        .filter(|f| f.status == FindingStatus::Fail);
    let waived = failing.next().expect("a finding");
    waived.status = FindingStatus::Waived;
    waived.waiver = Some(waiver(false));
    let expired = failing.next().expect("a finding");
    expired.waiver = Some(waiver(true));
    let baselined = failing.next().expect("a finding");
    baselined.status = FindingStatus::Baselined;
    let html = render(&report);
    assert_eq!(
        html.matches("<details class=\"finding\" id=\"f-").count(),
        report.audits[0].findings().count()
    );
    assert_eq!(html.matches("data-status=\"waived\"><summary>").count(), 1);
    assert_eq!(html.matches("data-status=\"expired\"><summary>").count(), 1);
    assert_eq!(html.matches("data-status=\"baselined\"><summary>").count(), 1);
    assert!(html.contains("until 2026-01-31: sandbox (owner platform-team)"));
    assert!(html.contains("expired on 2026-01-31; the finding fails again: sandbox"));
    assert!(html.contains("recorded in the baseline"));
    assert!(html.contains("<th class=\"num\">waiver expired</th>"));
}

#[test]
fn secrets_in_the_lines_shown_are_masked() {
    let secret = "ghp_".to_owned() + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Y";
    let text = EXAMPLE.replace("\"LOG_LEVEL=info\"", &format!("\"GITHUB_TOKEN={secret}\""));
    assert!(text.contains(&secret));
    let report = audit_of(
        "examples/account.toml",
        &text,
        policy::builtin().expect("the built-in policies load"),
    );
    let html = render(&report);
    assert!(
        html.contains(crate::diagnostic::MASK),
        "the secret's finding shows its line, masked"
    );
    assert!(!html.contains(&secret[4..20]), "no piece of the secret");
}

#[test]
fn files_that_did_not_load_are_columns_of_errors() {
    let mut report = example();
    let error = account::load_str("broken <b>.toml", "schema_version = 1\n[account]\nid = 3\n")
        .expect_err("a wrong type");
    report.load_errors.push(("broken <b>.toml".to_owned(), error));
    let html = render(&report);
    assert_structure(&html);
    assert!(html.contains(
        "<th class=\"acct\">did not load<br><span class=\"muted mono\">broken &lt;b&gt;.toml</span></th>"
    ));
    // Every customer duty of the broken file is an error, IBM's stay IBM's.
    let customer_rows = responsibility::rows().iter().filter(|r| r.tag.is_some()).count() + 1;
    assert_eq!(
        html.matches("<a href=\"#errors\">not loaded</a>").count(),
        customer_rows
    );
    assert!(
        html.contains("<span class=\"mono\">broken &lt;b&gt;.toml:3:"),
        "the error's position"
    );
    assert!(html.contains("class=\"verdict error\""));
}
