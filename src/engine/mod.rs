//! The evaluator: `evaluate(account, policies, settings) -> outcomes`. Pure: no I/O, no
//! printing, no clock (the as-of time is an input).
//!
//! How an evaluation runs: the account is converted to CEL values and indexed once
//! ([`PreparedAccount`]); every check is split into jobs over parts of the list its subjects come
//! from (`plan_jobs`), which run on every core (`run_jobs`) and are put back together rule by rule
//! in document order, so the outcome is the same as running the checks one after another.

pub mod cel;
pub mod data;
pub mod helpers;
pub mod iam;
pub mod index;
pub mod jsonpath;
mod pattern;
pub mod template;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::account::LoadedAccount;
use crate::findings::{
    Finding, FindingStatus, Fingerprinter, Fix, FixAction, RuleError, RuleOutcome, RuleStatus, shell_quote,
};
use crate::path::DocPath;
use crate::policy::{Check, FixSpec, FixSpecAction, Located, Policy};
use cel::{Bindings, Document, Names, Node};
use data::Data;

pub use cel::TIMESTAMP_NEWTYPE;

/// What an evaluation depends on besides the account and the policies.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The reference time of every age check.
    pub as_of: DateTime<Utc>,
    /// Parameter overrides per rule id, already checked against the rules' declarations.
    pub params: BTreeMap<String, BTreeMap<String, Data>>,
    /// Severity overrides per rule id (`regcheck.toml`).
    pub severities: BTreeMap<String, crate::findings::Severity>,
    /// Whether passing subjects become findings. Only the JSON report lists them, and on a large
    /// account they are most of the work (a subject name and fingerprint each), so the CLI asks
    /// for them only when it writes JSON. Rule statuses are the same either way.
    pub record_passes: bool,
    /// The cost units a rule may spend on one subject ([`cel::budget`]); past it the rule is
    /// an error. `regcheck.toml`'s `evaluation_budget`.
    pub budget: u64,
    /// Budgets of single rules, by rule id (`[rules."ID"] evaluation_budget`).
    pub budgets: BTreeMap<String, u64>,
    /// The most threads one evaluation runs on; `None` is every core. An audit of many small
    /// accounts runs several accounts at once, each on one thread (see `crate::audit`).
    pub threads: Option<usize>,
    /// Counters the evaluation advances, for a progress bar; `None` counts nothing.
    pub progress: Option<Arc<Progress>>,
    /// Focused evaluation (`--image`): the positions in `images` to evaluate, ascending; the
    /// other images are left out of the document rules see, so one image of a 100k-image
    /// account costs one image. Findings keep their paths in the file. `None`: every image.
    pub images: Option<Arc<[usize]>>,
}

impl Settings {
    pub fn new(as_of: DateTime<Utc>) -> Self {
        Self {
            as_of,
            params: BTreeMap::new(),
            severities: BTreeMap::new(),
            record_passes: true,
            budget: cel::budget::DEFAULT_BUDGET,
            budgets: BTreeMap::new(),
            threads: None,
            progress: None,
            images: None,
        }
    }
}

/// How far evaluations have got, in jobs (a check over a part of its subjects): the engine only
/// counts; whoever shows a progress bar reads the counters.
#[derive(Debug, Default)]
pub struct Progress {
    pub jobs_planned: std::sync::atomic::AtomicUsize,
    pub jobs_done: std::sync::atomic::AtomicUsize,
}

/// The account converted to CEL values once, and its look-up index, shared by every rule.
pub struct PreparedAccount<'a> {
    account: &'a LoadedAccount,
    /// Fingerprints carry the account id (cli.md), hashed once here.
    fingerprints: Fingerprinter,
    // Declared before `document`, so that it is dropped first: it points into the document.
    index: Arc<index::AccountIndex>,
    document: Document,
    /// The images evaluated, by position in the file, when not all of them are
    /// ([`Settings::images`]): the document's `images[k]` is the file's `images[focus[k]]`.
    focus: Option<Arc<[usize]>>,
}

impl<'a> PreparedAccount<'a> {
    /// Converts the sections of the account that `policies` can read. Most of an account is
    /// its images; rules that never name them (the Activity Tracker rules) do not pay for them.
    pub fn new(account: &'a LoadedAccount, policies: &[Arc<Policy>]) -> Result<Self, String> {
        Self::focused(account, policies, None)
    }

    /// [`new`](Self::new) with only the images at `focus` (positions in the file, ascending).
    pub fn focused(
        account: &'a LoadedAccount,
        policies: &[Arc<Policy>],
        focus: Option<Arc<[usize]>>,
    ) -> Result<Self, String> {
        let focus = focus.filter(|_| images_can_be_left_out(policies));
        let document = account_document(&account.model, policies, focus.as_deref())?;
        // SAFETY: the index lives beside the document in `Self` and they are dropped together
        // (`release`); helpers reach it only through `index::install` during an evaluation.
        let index = Arc::new(unsafe { index::AccountIndex::build(document.root()) });
        Ok(Self {
            account,
            fingerprints: Fingerprinter::new(&account.model.account.id),
            index,
            document,
            focus,
        })
    }

    /// A path in the document as a path in the file: a focused evaluation's `images[k]` is
    /// the file's `images[focus[k]]`.
    fn file_path(&self, mut path: DocPath) -> DocPath {
        use crate::path::Segment;
        if let Some(focus) = &self.focus
            && let [Segment::Key(section), Segment::Index(at), ..] = path.0.as_mut_slice()
            && section == "images"
            && let Some(position) = focus.get(*at)
        {
            *at = *position;
        }
        path
    }
}

/// Threads freeing the CEL values of finished evaluations (see [`PreparedAccount::release`]).
static RELEASING: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> = std::sync::Mutex::new(Vec::new());

/// The CEL values of the last large evaluation, freed only when the next one ends (see
/// [`PreparedAccount::release`]).
static LAST_RELEASED: std::sync::Mutex<Option<Box<dyn Send>>> = std::sync::Mutex::new(None);

impl PreparedAccount<'_> {
    /// Keeps the account's CEL values until the next large evaluation ends, then frees them on a
    /// thread of their own: on a large account that is millions of small allocations. After the
    /// last account the process exits instead, and its memory goes back whole; freeing it would
    /// only have taken a core from the report being written.
    fn release(self) {
        let Self { document, index, .. } = self;
        let values: Box<dyn Send> = Box::new((index, document));
        let earlier = LAST_RELEASED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .replace(values);
        if let Some(earlier) = earlier {
            free_on_a_thread(earlier);
        }
    }
}

fn free_on_a_thread(values: Box<dyn Send>) {
    let spawned = std::thread::Builder::new()
        .name("regcheck-release".to_owned())
        .spawn(move || drop(values));
    // Without a thread (a limit reached), the values were dropped here with the closure.
    if let Ok(handle) = spawned {
        let mut releasing = RELEASING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        releasing.retain(|handle| !handle.is_finished());
        releasing.push(handle);
    }
}

/// Frees the values kept from the last evaluation, and waits until those of earlier ones are
/// freed. Benchmarks call it between runs, so that freeing one audit's values does not slow down
/// the next measurement.
pub fn wait_for_releases() {
    let kept = LAST_RELEASED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    drop(kept);
    let handles = RELEASING
        .lock()
        .map(|mut releasing| std::mem::take(&mut *releasing))
        .unwrap_or_default();
    for handle in handles {
        // A panic while freeing has nothing to report; the values are gone either way.
        let _ = handle.join();
    }
}

/// The account as CEL sees it, with the sections that no policy mentions left out. A section is
/// mentioned when its name is a word of a policy's paths, expressions or templates; the small
/// `schema_version` and `account` are always there, and `image_namespace` and
/// `namespaces_denoted` need `namespaces`.
fn account_document(
    model: &crate::account::Account,
    policies: &[Arc<Policy>],
    focus: Option<&[usize]>,
) -> Result<Document, String> {
    let mentions = |section: &str| mentions_word(policies, section);
    let needs_namespaces =
        mentions("namespaces") || mentions("image_namespace") || mentions("namespaces_denoted");
    let mut sections = vec![
        ("schema_version", Document::from_serialize(&model.schema_version)?),
        ("account", Document::from_serialize(&model.account)?),
    ];
    // The list sections; long ones (the images) are converted on every core.
    macro_rules! list {
        ($name:literal, $field:expr, $needed:expr) => {
            if $needed {
                sections.push(($name, Document::from_list(&$field)?));
            }
        };
    }
    list!("registries", model.registries, mentions("registries"));
    list!("namespaces", model.namespaces, needs_namespaces);
    match focus {
        Some(focus) if mentions("images") => {
            let images: Vec<&crate::account::model::Image> =
                focus.iter().filter_map(|&at| model.images.get(at)).collect();
            sections.push(("images", Document::from_list(&images)?));
        }
        _ => list!("images", model.images, mentions("images")),
    }
    list!("exemptions", model.exemptions, mentions("exemptions"));
    list!("automation", model.automation, mentions("automation"));
    // Optional sections stay absent when the file has none: `has(account.iam)` must see that.
    if let Some(iam) = model.iam.as_ref().filter(|_| mentions("iam")) {
        sections.push(("iam", Document::from_serialize(iam)?));
    }
    if let Some(activity_tracker) = model
        .activity_tracker
        .as_ref()
        .filter(|_| mentions("activity_tracker"))
    {
        sections.push(("activity_tracker", Document::from_serialize(activity_tracker)?));
    }
    Ok(Document::from_sections(sections))
}

/// Whether `name` is a word of some policy's paths, expressions or templates.
fn mentions_word(policies: &[Arc<Policy>], name: &str) -> bool {
    policies
        .iter()
        .any(|policy| policy.check_sources().any(|text| has_word(text, name)))
}

/// Whether `name` is a word of `text` (not part of a longer name: `images_per_repo` is not
/// `images`).
fn has_word(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let before = text[..at].chars().next_back().is_none_or(|c| !word(c));
        let after = text[at + name.len()..].chars().next().is_none_or(|c| !word(c));
        before && after
    })
}

/// Whether a focused evaluation ([`Settings::images`]) may leave the other images out of the
/// document: no check reads `images` except as the list its subjects come from (a `for_each`
/// starting at `$.images[*]`), none reads the whole account (`account` other than
/// `account.<section>`), and none of those over images reads its position in the list
/// (`index`). Otherwise (a custom rule that counts a namespace's images, say) every image is
/// evaluated and the selection applies to the findings only: slower, never different.
fn images_can_be_left_out(policies: &[Arc<Policy>]) -> bool {
    policies.iter().all(|policy| {
        policy.checks.iter().all(|check| {
            let path = check.for_each.as_str();
            let mut code: Vec<String> = [check.when.as_ref(), Some(&check.assert)]
                .into_iter()
                .flatten()
                .map(|expr| code_of(expr.value.source()))
                .collect();
            for template in [Some(&check.subject), Some(&check.message), check.locate.as_ref()]
                .into_iter()
                .flatten()
            {
                code.extend(template.value.holes().map(|(expr, _)| code_of(expr.source())));
            }
            let over_images = path.starts_with("$.images[*]");
            let position_read = path == "$.images[*]" && code.iter().any(|text| has_word(text, "index"));
            (over_images || !has_word(path, "images"))
                && !position_read
                && !code
                    .iter()
                    .any(|text| has_word(text, "images") || reads_whole_account(text))
        })
    })
}

/// An expression's text with its string literals emptied (`'…'`, `"…"`, and their triple
/// forms), so that words in messages are not taken for field names.
fn code_of(source: &str) -> String {
    let mut code = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find(['\'', '"']) {
        code.push_str(&rest[..at]);
        let quote = &rest[at..at + 1];
        let triple = quote.repeat(3);
        let (delimiter, body) = if rest[at..].starts_with(&triple) {
            (triple.as_str(), &rest[at + 3..])
        } else {
            (quote, &rest[at + 1..])
        };
        code.push_str("''");
        // The closing delimiter: the first one not escaped by a backslash.
        let mut end = None;
        let mut escaped = false;
        for (offset, c) in body.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if body[offset..].starts_with(delimiter) {
                end = Some(offset + delimiter.len());
                break;
            }
        }
        rest = end.map_or("", |end| &body[end..]);
    }
    code.push_str(rest);
    code
}

/// Whether code reads the account whole (`account` not followed by `.section`), which could
/// reach every image.
fn reads_whole_account(code: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    code.match_indices("account").any(|(at, name)| {
        let before = code[..at].chars().next_back();
        let after = code[at + name.len()..].trim_start();
        before.is_none_or(|c| !word(c) && c != '.') && !after.starts_with('.') && !after.starts_with(word)
    })
}

/// Evaluates every policy against one account; outcomes come back in the policies' order.
pub fn evaluate(account: &LoadedAccount, policies: &[Arc<Policy>], settings: &Settings) -> Vec<RuleOutcome> {
    let prepared = match PreparedAccount::focused(account, policies, settings.images.clone()) {
        Ok(prepared) => prepared,
        Err(message) => {
            return policies
                .iter()
                .map(|policy| RuleOutcome {
                    rule_id: policy.id.clone(),
                    status: RuleStatus::Error,
                    findings: Vec::new(),
                    passes: 0,
                    error: Some(RuleError {
                        message: format!("the account could not be prepared for evaluation: {message}"),
                        policy_position: policy.source.name.clone(),
                        path: None,
                    }),
                })
                .collect();
        }
    };
    let as_of = Document::from_data(&Data::Time(settings.as_of));
    let params: Vec<Document> = policies
        .iter()
        .map(|policy| params_document(policy, settings.params.get(&policy.id)))
        .collect();
    let runs: Vec<RuleRun<'_>> = policies
        .iter()
        .zip(&params)
        .map(|(policy, params)| RuleRun {
            prepared: &prepared,
            policy,
            severity: settings
                .severities
                .get(&policy.id)
                .copied()
                .unwrap_or(policy.severity),
            params: params.root(),
            as_of: as_of.root(),
            record_passes: settings.record_passes,
            budget: settings
                .budgets
                .get(&policy.id)
                .copied()
                .unwrap_or(settings.budget),
        })
        .collect();
    let (jobs, lists) = plan_jobs(&prepared, policies);
    let threads = if runs_inline(lists) {
        Some(1)
    } else {
        settings.threads
    };
    if let Some(progress) = &settings.progress {
        progress
            .jobs_planned
            .fetch_add(jobs.len(), std::sync::atomic::Ordering::Relaxed);
    }
    let results = run_jobs(&prepared, &runs, &jobs, threads, settings.progress.as_deref());
    // Put each rule back together from its jobs, in order: the first error (in the order the
    // subjects come) makes the rule an error, as if its checks had run one after the other.
    let mut results = jobs.iter().zip(results).peekable();
    let outcomes = runs
        .iter()
        .enumerate()
        .map(|(rule, run)| {
            let mut parts = Vec::new();
            let mut error = None;
            while let Some((_, result)) = results.next_if(|(job, _)| job.rule == rule) {
                match result {
                    Ok(part) if error.is_none() => parts.push(part),
                    Ok(_) => {}
                    Err(job_error) => {
                        error.get_or_insert(job_error);
                    }
                }
            }
            let applicable = parts.iter().any(|part| part.evaluated);
            let passes = parts.iter().map(|part| part.passes).sum();
            // Sized once: with passes recorded a rule can have millions of findings, and
            // growing the vector part by part would hold two copies at the end. The first
            // part's vector is kept, so a rule of one part (most) is not copied at all.
            let total = parts.iter().map(|part| part.findings.len()).sum::<usize>();
            let mut parts = parts.into_iter();
            let mut findings = parts.next().map(|part| part.findings).unwrap_or_default();
            findings.reserve_exact(total - findings.len());
            for part in parts {
                findings.extend(part.findings);
            }
            rule_outcome(run.policy, findings, applicable, passes, error)
        })
        .collect();
    drop(runs);
    if threads == Some(1) {
        // A small account (maybe one of several evaluated at once): free it here, not on a
        // thread.
        drop(prepared);
    } else {
        prepared.release();
    }
    outcomes
}

/// One piece of work: a check of a rule over all of its subjects, or over a part of the list
/// they fan out from (`images[4096..8192]`).
struct Job {
    rule: usize,
    check: usize,
    part: Option<std::ops::Range<usize>>,
}

/// What a job found, whether it evaluated any subject, and how many passed.
struct JobResult {
    findings: Vec<Finding>,
    evaluated: bool,
    passes: usize,
}

/// Splits every rule's checks into jobs of at most `SUBJECTS_PER_JOB` elements of the list
/// their subjects fan out from, so that both cores stay busy to the end even when one rule
/// (a secret scan over every image) is most of the work. Jobs come back in rule order.
fn plan_jobs(prepared: &PreparedAccount<'_>, policies: &[Arc<Policy>]) -> (Vec<Job>, usize) {
    // Small enough that a part of the images (a few MB of CEL values) stays in the shared cache
    // while every check that reads images goes through it (see `run_jobs`). Unit tests split
    // every list longer than two, so that the engine's own tests (and the built-in policies'
    // tests run from them) show that splitting changes no outcome.
    const SUBJECTS_PER_JOB: usize = if cfg!(test) { 2 } else { 256 };
    let root = prepared.document.root();
    let mut jobs = Vec::new();
    let mut lists = 0;
    for (rule, policy) in policies.iter().enumerate() {
        for (check, spec) in policy.checks.iter().enumerate() {
            let fanout = spec.for_each.fanout(root);
            lists += fanout.unwrap_or(1);
            match fanout {
                Some(len) if len > SUBJECTS_PER_JOB => {
                    jobs.extend((0..len).step_by(SUBJECTS_PER_JOB).map(|start| Job {
                        rule,
                        check,
                        part: Some(start..(start + SUBJECTS_PER_JOB).min(len)),
                    }));
                }
                _ => jobs.push(Job {
                    rule,
                    check,
                    part: None,
                }),
            }
        }
    }
    (jobs, lists)
}

/// Whether an evaluation whose checks fan out from `lists` elements in all (an empty or nearly
/// empty account) runs on the calling thread: starting and joining threads would cost more than
/// the work, and on a busy machine each hand-over waits for a core. Unit tests run their small
/// accounts on every core, as they split every list (see `plan_jobs`).
fn runs_inline(lists: usize) -> bool {
    !cfg!(test) && lists < 64
}

/// The stack of each evaluating thread (`crate::audit` gives its workers the same).
pub const EVALUATION_STACK: usize = 64 << 20;

/// Runs the jobs on every core, each worker taking the next job; results come back in the
/// jobs' order.
///
/// Jobs run part by part rather than rule by rule: whole checks first (one of them may be long,
/// and must not be left for last), then the first part of every check, the second, and so on.
/// Some twenty checks read each image, and the account does not fit in the CPU's cache; in this
/// order they read a part while it is still there, instead of each fetching it from memory.
fn run_jobs(
    prepared: &PreparedAccount<'_>,
    runs: &[RuleRun<'_>],
    jobs: &[Job],
    threads: Option<usize>,
    progress: Option<&Progress>,
) -> Vec<Result<JobResult, RuleError>> {
    // The first job (in the rules' order) that failed, per rule: the rule is an error, and the
    // jobs after that one cannot change which error it reports, so they are skipped. Jobs before
    // it still run: one of them may fail earlier in the subjects' order. A costly expression
    // thus spends its budget on a few subjects, not on every part of a large list.
    let failed: Vec<std::sync::atomic::AtomicUsize> = runs
        .iter()
        .map(|_| std::sync::atomic::AtomicUsize::new(usize::MAX))
        .collect();
    let run_one = |at: usize, job: &Job| {
        if at > failed[job.rule].load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(JobResult {
                findings: Vec::new(),
                evaluated: false,
                passes: 0,
            });
        }
        let run = &runs[job.rule];
        // Helpers that need the whole account (image_namespace) read its index.
        let result = index::install(&prepared.index, || {
            let mut findings = Vec::new();
            let mut passes = 0;
            let check = &run.policy.checks[job.check];
            run_check(run, check, job.part.clone(), &mut findings, &mut passes).map(|evaluated| JobResult {
                findings,
                evaluated,
                passes,
            })
        })
        .inspect_err(|_| {
            failed[job.rule].fetch_min(at, std::sync::atomic::Ordering::Relaxed);
        });
        if let Some(progress) = progress {
            progress
                .jobs_done
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        result
    };
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&at| jobs[at].part.as_ref().map(|part| part.start));
    let workers = threads.unwrap_or_else(crate::cores).min(jobs.len());
    if workers <= 1 {
        return jobs
            .iter()
            .enumerate()
            .map(|(at, job)| run_one(at, job))
            .collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let taken = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&at) = order.get(taken) else { break };
            done.push((at, run_one(at, &jobs[at])));
        }
        done
    };
    let mut done: Vec<(usize, Result<JobResult, RuleError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .filter_map(|_| {
                // CEL evaluates by recursion, a few frames per level of an expression: room for
                // the deepest expression a policy may hold (`cel::MAX_EXPRESSION_DEPTH`), in a
                // debug build too. Only the pages used are ever touched.
                std::thread::Builder::new()
                    .name("regcheck-eval".to_owned())
                    .stack_size(EVALUATION_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        // Without a thread (a limit reached), the work is done here.
        let here = if handles.is_empty() { work() } else { Vec::new() };
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .chain(here)
            .collect()
    });
    done.sort_by_key(|(at, _)| *at);
    done.into_iter().map(|(_, result)| result).collect()
}

/// Defaults overlaid with the overrides for this rule.
fn params_document(policy: &Policy, overrides: Option<&BTreeMap<String, Data>>) -> Document {
    let mut values: BTreeMap<String, Data> = policy
        .params
        .iter()
        .map(|param| (param.name.clone(), param.default.clone()))
        .collect();
    if let Some(overrides) = overrides {
        values.extend(overrides.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Document::from_data(&Data::Map(values))
}

/// One rule's evaluation on one account: what every check of the rule shares.
pub struct RuleRun<'a> {
    pub prepared: &'a PreparedAccount<'a>,
    pub policy: &'a Policy,
    /// The rule's severity after `regcheck.toml` overrides.
    pub severity: crate::findings::Severity,
    pub params: Node<'a>,
    pub as_of: Node<'a>,
    pub record_passes: bool,
    /// Cost units per subject.
    pub budget: u64,
}

/// A rule's outcome from its findings, whether any subject was evaluated, and its first error
/// (which makes it an error, not a pass).
fn rule_outcome(
    policy: &Policy,
    findings: Vec<Finding>,
    applicable: bool,
    passes: usize,
    error: Option<RuleError>,
) -> RuleOutcome {
    if let Some(error) = error {
        return RuleOutcome {
            rule_id: policy.id.clone(),
            status: RuleStatus::Error,
            findings: Vec::new(),
            passes: 0,
            error: Some(error),
        };
    }
    let status = if findings.iter().any(|f| f.status == FindingStatus::Fail) {
        RuleStatus::Fail
    } else if applicable {
        RuleStatus::Pass
    } else {
        RuleStatus::NotApplicable
    };
    RuleOutcome {
        rule_id: policy.id.clone(),
        status,
        findings,
        passes,
        error: None,
    }
}

/// What `when` and `assert` made of one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judgement {
    /// `when` was false: the subject is not one the rule is about.
    Skipped,
    Passed,
    Failed,
}

/// Evaluates a check's `when` and `assert` on one subject; an error comes with the offset of
/// the expression that failed.
fn judge<'a>(check: &'a Check, bindings: &Bindings<'a>) -> Result<Judgement, (String, usize)> {
    if let Some(when) = &check.when
        && !when.value.eval_bool(bindings).map_err(|e| (e, when.offset))?
    {
        return Ok(Judgement::Skipped);
    }
    let passed = check
        .assert
        .value
        .eval_bool(bindings)
        .map_err(|e| (e, check.assert.offset))?;
    Ok(if passed {
        Judgement::Passed
    } else {
        Judgement::Failed
    })
}

/// Runs one check over its subjects; returns whether any subject was evaluated.
fn run_check<'c>(
    run: &RuleRun<'_>,
    check: &'c Check,
    part: Option<std::ops::Range<usize>>,
    findings: &mut Vec<Finding>,
    passes: &mut usize,
) -> Result<bool, RuleError> {
    let (prepared, policy, severity) = (run.prepared, run.policy, run.severity);
    let (params, as_of, record_passes) = (run.params, run.as_of, run.record_passes);
    let root = prepared.document.root();
    let mut evaluated = false;
    // Subjects that are strings (env entries, labels, history lines, paths) repeat: images
    // share base layers, variables and labels. When `when` and `assert` read neither `parent`
    // nor `index`, equal strings under equal keys get the same answer (everything else they can
    // read is the same for every subject), so each distinct one is judged once per job.
    // Decided at the first string subject: a check with no subject compiles nothing.
    let reads_position = |expr: &cel::Expr| expr.reads("parent") || expr.reads("index");
    let repeatable = std::cell::OnceCell::new();
    let repeatable = || {
        *repeatable.get_or_init(|| {
            !check
                .when
                .as_ref()
                .is_some_and(|when| reads_position(&when.value))
                && !reads_position(&check.assert.value)
        })
    };
    // Keyed by the account's strings: a seed of its own per run, so that no file can be written
    // to make the look-ups collide.
    let mut judged: HashMap<(&str, Option<&str>), Judgement, foldhash::fast::RandomState> =
        HashMap::default();
    check.for_each.visit_part(root, part, &mut |found| {
        // Everything evaluated for this subject draws on one budget, started when something is
        // evaluated (most subjects of a string rule are judged from `judged`).
        let mut metering = None;
        // What `when`, `assert` and the templates share for this subject (see `SubjectMemo`).
        let memo = cel::SubjectMemo::default();
        let bindings = Bindings {
            names: Names {
                account: root,
                params,
                as_of,
                item: found.node,
                parent: found.parent,
                key: found.key,
                index: found.index.map(|i| i as i64),
            },
            memo: Some(&memo),
        };
        let error = |message: String, offset: usize| RuleError {
            message,
            policy_position: policy.position(offset),
            path: Some(prepared.file_path(found.doc_path())),
        };
        let text = found
            .node
            .as_str()
            .filter(|_| repeatable())
            .map(|text| (text, found.key));
        let judgement = match text.and_then(|text| judged.get(&text)) {
            Some(judgement) => *judgement,
            None => {
                metering.get_or_insert_with(|| cel::budget::meter(run.budget));
                let judgement = judge(check, &bindings).map_err(|(e, offset)| error(e, offset))?;
                if let Some(text) = text {
                    judged.insert(text, judgement);
                }
                judgement
            }
        };
        if judgement == Judgement::Skipped {
            return Ok(());
        }
        evaluated = true;
        let passed = judgement == Judgement::Passed;
        *passes += usize::from(passed);
        let render = |template: &'c crate::policy::Located<template::Template>| {
            template
                .value
                .render(&bindings)
                .map_err(|(message, hole)| error(message, template.offset + hole))
        };
        if passed && !record_passes {
            return Ok(());
        }
        metering.get_or_insert_with(|| cel::budget::meter(run.budget));
        let subject = render(&check.subject)?;
        if passed {
            // A pass points at its subject, with no key to blame, and says what was checked
            // (the rule's title): reporters fill in both, only when they show passes, because
            // passes are most of a large account's findings.
            findings.push(Finding {
                rule_id: policy.id.clone(),
                severity,
                status: FindingStatus::Pass,
                fingerprint: prepared.fingerprints.fingerprint(&policy.id, &subject),
                subject,
                message: String::new(),
                path: prepared.file_path(found.doc_path()),
                location: crate::findings::Location::default(),
                waiver: None,
                fix: None,
            });
            return Ok(());
        }
        let (status, message) = (FindingStatus::Fail, render(&check.message)?);
        let path = match &check.locate {
            Some(locate) => {
                let relative = render(locate)?;
                let relative = DocPath::parse(&relative).ok_or_else(|| {
                    error(
                        format!("locate produced `{relative}`, which is not a key path"),
                        locate.offset,
                    )
                })?;
                let mut path = prepared.file_path(found.doc_path());
                path.0.extend(relative.0);
                path
            }
            None => prepared.file_path(found.doc_path()),
        };
        let location = prepared.account.file.location(&path);
        let fix = match &check.fix {
            Some(spec) => Some(Box::new(
                render_fix(spec, &bindings, &prepared.account.file.source)
                    .map_err(|(message, offset)| error(message, offset))?,
            )),
            None => None,
        };
        findings.push(Finding {
            rule_id: policy.id.clone(),
            severity,
            status,
            fingerprint: prepared.fingerprints.fingerprint(&policy.id, &subject),
            subject,
            message,
            path,
            location,
            waiver: None,
            fix,
        });
        Ok(())
    })?;
    Ok(evaluated)
}

/// A failing subject's fix: the command with every hole's value shell-quoted (values come from
/// the account, which is hostile input), or the reason; errors carry the policy offset. Every
/// value has the account file's secrets masked before it is quoted (a quoted secret would no
/// longer match the mask's search).
fn render_fix<'a>(
    spec: &'a FixSpec,
    bindings: &Bindings<'a>,
    source: &crate::diagnostic::SourceText,
) -> Result<Fix, (String, usize)> {
    let plain = |template: &'a Located<template::Template>| {
        template
            .value
            .render_with(bindings, |value, out| out.push_str(&source.redact(value)))
            .map_err(|(message, hole)| (message, template.offset + hole))
    };
    // A value that starts with `-` is an option to the command however it is quoted, unless the
    // policy itself spells it as a string (`['--region', …]`): such a command is for review.
    let option_like = std::cell::Cell::new(false);
    let action = match &spec.action {
        FixSpecAction::Command { command, destructive } => FixAction::Command {
            command: command
                .value
                .render_command(bindings, |value| {
                    if value.starts_with('-') {
                        let text = command.value.source();
                        let spelt =
                            text.contains(&format!("'{value}'")) || text.contains(&format!("\"{value}\""));
                        if !spelt {
                            option_like.set(true);
                        }
                    }
                    shell_quote(&source.redact(value))
                })
                .map_err(|(message, hole)| (message, command.offset + hole))?,
            destructive: *destructive,
        },
        FixSpecAction::Reason(reason) => FixAction::Reason(plain(reason)?),
    };
    let region = spec.region.as_ref().map(plain).transpose()?;
    // The region is quoted too, and `ibmcloud cr region-set -x` would read an option.
    let option_like = option_like.get() || region.as_deref().is_some_and(|region| region.starts_with('-'));
    Ok(Fix {
        region,
        action,
        option_like_value: option_like,
    })
}

#[cfg(test)]
mod tests;
