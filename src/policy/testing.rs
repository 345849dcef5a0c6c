//! Running the `[[tests]]` that ship inside policy files (`regcheck test`, `cargo test`).

use std::sync::Arc;

use crate::account;
use crate::engine::{self, Settings};
use crate::findings::{FindingStatus, RuleStatus};
use crate::policy::{Expectation, Policy, PolicyTest};

/// One test case's verdict; `problems` says what differed from the expectation.
#[derive(Debug, Clone)]
pub struct TestResult {
    pub rule_id: String,
    pub name: String,
    pub problems: Vec<String>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

pub fn run_policy_tests(policy: &Arc<Policy>) -> Vec<TestResult> {
    policy.tests.iter().map(|test| run_one(policy, test)).collect()
}

fn run_one(policy: &Arc<Policy>, test: &PolicyTest) -> TestResult {
    let mut problems = Vec::new();
    let result = |problems| TestResult {
        rule_id: policy.id.clone(),
        name: test.name.clone(),
        problems,
    };
    let loaded = match account::load_str(
        &format!("{} test `{}`", policy.id, test.name),
        test.account.as_str(),
    ) {
        Ok(loaded) => loaded,
        Err(error) => {
            for diagnostic in &error.diagnostics {
                problems.push(format!(
                    "test account does not load: {} at {}",
                    diagnostic.problem.message,
                    diagnostic.position()
                ));
            }
            return result(problems);
        }
    };
    // Without an explicit as_of, a test is evaluated at its evidence's capture time.
    let captured = loaded.model.account.captured_at;
    let as_of = test.as_of.unwrap_or(captured).0;
    if as_of < captured.0 {
        problems.push(format!(
            "as_of {} is before the test account's captured_at {}: the evidence did not exist yet",
            crate::engine::cel::format_time(&as_of),
            captured.to_rfc3339()
        ));
        return result(problems);
    }
    let mut settings = Settings::new(as_of);
    settings.params.insert(policy.id.clone(), test.params.clone());
    let outcome = engine::evaluate(&loaded, std::slice::from_ref(policy), &settings)
        .pop()
        .expect("one outcome per policy");
    if let Some(error) = &outcome.error {
        problems.push(format!("rule error: {error}"));
        return result(problems);
    }
    let expected = match test.expect {
        Expectation::Pass => RuleStatus::Pass,
        Expectation::Fail => RuleStatus::Fail,
        Expectation::NotApplicable => RuleStatus::NotApplicable,
    };
    if outcome.status != expected {
        problems.push(format!(
            "expected {}, got {}",
            expected.as_str(),
            outcome.status.as_str()
        ));
    }
    let failing: Vec<_> = outcome
        .findings
        .iter()
        .filter(|f| f.status == FindingStatus::Fail)
        .collect();
    if let Some(subjects) = &test.subjects {
        let mut actual: Vec<&str> = failing.iter().map(|f| f.subject.as_str()).collect();
        let mut wanted: Vec<&str> = subjects.iter().map(String::as_str).collect();
        actual.sort_unstable();
        wanted.sort_unstable();
        if actual != wanted {
            problems.push(format!("expected failing subjects {wanted:?}, got {actual:?}"));
        }
    }
    if let Some(messages) = &test.messages {
        let mut actual: Vec<&str> = failing.iter().map(|f| f.message.as_str()).collect();
        let mut wanted: Vec<&str> = messages.iter().map(String::as_str).collect();
        actual.sort_unstable();
        wanted.sort_unstable();
        if actual != wanted {
            problems.push(format!("expected messages {wanted:?}, got {actual:?}"));
        }
    }
    result(problems)
}
