//! The evaluation budget: what one rule may spend on one subject, in cost units, so that a
//! costly expression (a loop inside a loop over a large list, a string built to a gigabyte)
//! becomes a rule error within a bounded time and memory instead of a hang or an abort.
//!
//! CEL always terminates, but nothing bounds how long it takes or how much it builds. As in
//! Kubernetes, where each CEL evaluation has a cost limit, regcheck counts what an evaluation
//! does as it does it, and stops it when the count passes the limit. The `cel` crate has no
//! hook for that, so `super::strict` rewrites every expression when it compiles, adding calls
//! to the functions below where the work happens:
//!
//! - each step of a comprehension (`all`, `exists`, `exists_one`, `map`, `filter`) costs 1, plus
//!   the size of the element it visits (the interpreter copies it) and of what `map` keeps;
//! - each argument of an operator or function whose work grows with its input (`+`, `==`,
//!   `in`, `contains`, `matches`, `split`, `sort`, …) costs its size, checked before the call;
//! - `replace`, `join`, `distinct` and `lists.range` are charged what they will build or
//!   compare, before they run: their output can be far larger than their input;
//! - each helper call costs 1 plus the sizes of its arguments and result.
//!
//! A size is a string's or a byte string's length in bytes, or a list's or table's number of
//! entries; anything else is 0. The check runs before the costly operation, so nothing larger
//! than the budget is ever built, and a step of a loop costs at least 1, so no loop runs longer
//! than the budget.
//!
//! The meter is per thread (cel calls plain function pointers, which cannot carry a context):
//! the engine starts one for each subject ([`meter`]), and every expression evaluated for that
//! subject (`when`, `assert`, the templates) draws on it. An exhausted budget stays exhausted,
//! so no operator can absorb the error it raises.

use std::cell::Cell;

use cel::common::types::{CelBytes, CelInt, CelList, CelMap, CelString, DYN_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{Env, ExecutionError};

/// Cost units one rule may spend on one subject unless `regcheck.toml` says otherwise: one to
/// two seconds of work at most (a loop step of `lists.range` costs 1 and takes about 200 ns). The built-in rules spend under 2,000 on most subjects; the most is
/// ICR-IAM-003's one subject, about 100 per IAM policy (a million on the large benchmark
/// account, 10,000 policies), so a real account is far from the limit.
pub const DEFAULT_BUDGET: u64 = 10_000_000;

/// The names of the metering functions (internal: `@` cannot start a CEL identifier, so no
/// policy can call or redefine them).
/// Short, so that looking them up among the functions costs little.
pub(super) const STEP: &str = "@step";
pub(super) const COST: &str = "@cost";
pub(super) const COST_REPLACE: &str = "@cost_replace";
pub(super) const COST_JOIN: &str = "@cost_join";
pub(super) const COST_DISTINCT: &str = "@cost_distinct";
pub(super) const COST_RANGE: &str = "@cost_range";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meter {
    limit: u64,
    spent: u64,
    exhausted: bool,
}

thread_local! {
    static METER: Cell<Option<Meter>> = const { Cell::new(None) };
}

/// Metering on this thread; the meter before it comes back when this is dropped.
#[must_use = "the budget holds only while this value lives"]
pub struct Metering {
    previous: Option<Meter>,
}

impl Drop for Metering {
    fn drop(&mut self) {
        METER.with(|meter| meter.set(self.previous));
    }
}

/// Starts a meter of `limit` cost units on this thread, shared by every evaluation until the
/// returned value is dropped.
pub fn meter(limit: u64) -> Metering {
    let fresh = Meter {
        limit,
        spent: 0,
        exhausted: false,
    };
    Metering {
        previous: METER.with(|meter| meter.replace(Some(fresh))),
    }
}

/// The state of this thread's meter, to set back with [`restore`] when an evaluation is
/// discarded (the native evaluator gives up, and `cel` evaluates the expression again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Snapshot(Option<Meter>);

pub(super) fn snapshot() -> Snapshot {
    Snapshot(METER.with(Cell::get))
}

pub(super) fn restore(snapshot: Snapshot) {
    METER.with(|meter| meter.set(snapshot.0));
}

/// Whether a meter is running on this thread.
pub(super) fn metering() -> bool {
    METER.with(|meter| meter.get().is_some())
}

/// The limit of the running meter, once it has been passed.
pub(super) fn exhausted() -> Option<u64> {
    METER.with(|meter| {
        meter
            .get()
            .filter(|meter| meter.exhausted)
            .map(|meter| meter.limit)
    })
}

/// What an exhausted budget says; the engine names the rule, the subject and the expression.
pub(super) fn exhausted_message(limit: u64) -> String {
    format!(
        "evaluation budget exhausted: the rule spent more than its {} cost units on this subject \
         (a loop over a large list inside another, or a very large string or list?); if the rule \
         really needs more, raise `evaluation_budget` in regcheck.toml",
        thousands(limit)
    )
}

fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// What the running meter has spent so far (0 without one): the native evaluator charges a
/// remembered value what it cost the first time (`native::SubjectMemo`).
pub(super) fn spent() -> u64 {
    METER.with(|meter| meter.get().map_or(0, |meter| meter.spent))
}

/// Spends `units`; an error once the budget is passed (and from then on).
pub(super) fn charge(units: u64) -> Result<(), ExecutionError> {
    METER.with(|cell| {
        let Some(mut meter) = cell.get() else {
            return Ok(());
        };
        meter.spent = meter.spent.saturating_add(units);
        meter.exhausted |= meter.spent > meter.limit;
        cell.set(Some(meter));
        if meter.exhausted {
            Err(ExecutionError::function_error(
                "budget",
                exhausted_message(meter.limit),
            ))
        } else {
            Ok(())
        }
    })
}

/// A value's size: bytes of a string, entries of a list or table; 0 for anything else.
pub(super) fn size_of(value: &dyn Val) -> u64 {
    let size = if let Some(text) = value.downcast_ref::<CelString>() {
        text.inner().len()
    } else if let Some(list) = value.downcast_ref::<CelList>() {
        list.inner().len()
    } else if let Some(map) = value.downcast_ref::<CelMap>() {
        map.inner().len()
    } else if let Some(bytes) = value.downcast_ref::<CelBytes>() {
        bytes.inner().len()
    } else {
        0
    };
    size as u64
}

/// What `@cost` charges for an argument of `size`.
pub(super) fn argument_cost(size: u64) -> u64 {
    1 + size
}

/// What `@step` charges for one step over an element of `element` size that passes on a value
/// of `value` size.
pub(super) fn step_cost(element: u64, value: u64) -> u64 {
    1 + element + value
}

/// The most `text.replace(from, to[, limit])` can build, from the sizes of its strings.
pub(super) fn replace_cost(text: u64, from: u64, to: u64, limit: Option<u64>) -> u64 {
    // An empty `from` matches before every character and at the end.
    let mut matches = text.checked_div(from).unwrap_or(text.saturating_add(1));
    if let Some(limit) = limit {
        matches = matches.min(limit);
    }
    // Saturated throughout: a cost that wrapped around would let the expression run for free.
    text.saturating_add(matches.saturating_mul(to)).saturating_add(1)
}

/// The length of a joined string: `count` entries of `text` bytes in all, a separator of
/// `separator` bytes between each.
pub(super) fn join_cost(count: u64, text: u64, separator: u64) -> u64 {
    text.saturating_add(count.saturating_mul(separator))
        .saturating_add(count)
        .saturating_add(1)
}

/// What `distinct` of `count` elements costs: each compared with those kept before it.
pub(super) fn distinct_cost(count: u64) -> u64 {
    1 + count.saturating_mul(count) / 2
}

type Args<'b, 'v> = Vec<CowVal<'b, 'v>>;
type Passed<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

/// The first argument, handed back untouched (borrowed values stay borrowed).
fn first<'b, 'v>(args: Args<'b, 'v>) -> Passed<'b, 'v> {
    args.into_iter()
        .next()
        .ok_or_else(ExecutionError::missing_argument_or_target)
}

/// `@step(element, value)`: one step of a comprehension over `element`; passes `value` on.
fn step<'b, 'v>(args: Args<'b, 'v>) -> Passed<'b, 'v> {
    let mut args = args.into_iter();
    let (Some(element), Some(value)) = (args.next(), args.next()) else {
        return Err(ExecutionError::missing_argument_or_target());
    };
    charge(step_cost(size_of(element.as_ref()), size_of(value.as_ref())))?;
    Ok(value)
}

/// `@cost(value)`: an argument of an operation whose work grows with its size.
fn cost<'b, 'v>(args: Args<'b, 'v>) -> Passed<'b, 'v> {
    charge(argument_cost(
        args.first().map_or(0, |value| size_of(value.as_ref())),
    ))?;
    first(args)
}

/// `@cost_replace(text, from, to[, n])`: the most `text.replace(from, to[, n])` can build.
fn cost_replace<'b, 'v>(args: Args<'b, 'v>) -> Passed<'b, 'v> {
    let size = |at: usize| args.get(at).map_or(0, |value| size_of(value.as_ref()));
    let limit = args
        .get(3)
        .and_then(|n| n.downcast_ref::<CelInt>())
        .and_then(|n| u64::try_from(*n.inner()).ok());
    charge(replace_cost(size(0), size(1), size(2), limit))?;
    first(args)
}

/// `@cost_join(list[, separator])`: the length of the joined string.
fn cost_join<'b, 'v>(args: Args<'b, 'v>) -> Passed<'b, 'v> {
    let separator = args.get(1).map_or(0, |value| size_of(value.as_ref()));
    let (count, text) = match args.first().and_then(|list| list.downcast_ref::<CelList>()) {
        Some(list) => (
            list.inner().len() as u64,
            list.inner()
                .iter()
                .map(|item| size_of(item.as_ref()))
                .sum::<u64>(),
        ),
        None => (0, 0),
    };
    charge(join_cost(count, text, separator))?;
    first(args)
}

/// `@cost_distinct(list)`: `distinct` compares each element with those kept before it.
fn cost_distinct<'b, 'v>(args: Args<'b, 'v>) -> Passed<'b, 'v> {
    let count = args.first().map_or(0, |list| size_of(list.as_ref()));
    charge(distinct_cost(count))?;
    first(args)
}

/// `@cost_range(n)`: the length of `lists.range(n)`.
fn cost_range<'b, 'v>(args: Args<'b, 'v>) -> Passed<'b, 'v> {
    let count = args
        .first()
        .and_then(|n| n.downcast_ref::<CelInt>())
        .map_or(0, |n| u64::try_from(*n.inner()).unwrap_or(0));
    charge(1 + count)?;
    first(args)
}

/// Declares the metering functions.
pub(super) fn register(env: &mut Env) -> Result<(), cel::DeclarationError> {
    env.add_overload(STEP, STEP, vec![DYN_TYPE, DYN_TYPE], step)?;
    env.add_overload(COST, COST, vec![DYN_TYPE], cost)?;
    for arity in [3, 4] {
        env.add_overload(
            COST_REPLACE,
            &format!("{COST_REPLACE}_{arity}"),
            (0..arity).map(|_| DYN_TYPE).collect(),
            cost_replace,
        )?;
    }
    for arity in [1, 2] {
        env.add_overload(
            COST_JOIN,
            &format!("{COST_JOIN}_{arity}"),
            (0..arity).map(|_| DYN_TYPE).collect(),
            cost_join,
        )?;
    }
    env.add_overload(COST_DISTINCT, COST_DISTINCT, vec![DYN_TYPE], cost_distinct)?;
    env.add_overload(COST_RANGE, COST_RANGE, vec![DYN_TYPE], cost_range)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_meter_is_spent_once_and_restores_the_one_before() {
        let _outer = meter(10);
        charge(4).unwrap();
        {
            let _inner = meter(2);
            assert!(charge(3).is_err());
            assert_eq!(exhausted(), Some(2));
            assert!(charge(0).is_err(), "an exhausted budget stays exhausted");
        }
        assert_eq!(exhausted(), None);
        charge(6).unwrap();
        assert!(charge(1).is_err());
    }

    #[test]
    fn string_costs_saturate_instead_of_wrapping_to_nothing() {
        assert_eq!(replace_cost(u64::MAX, 0, 2, None), u64::MAX);
        assert_eq!(replace_cost(u64::MAX - 1, 1, 0, None), u64::MAX);
        assert_eq!(join_cost(u64::MAX, 0, 0), u64::MAX);
        assert_eq!(join_cost(2, u64::MAX - 2, 0), u64::MAX);
        // Ordinary sizes are what they were.
        assert_eq!(replace_cost(10, 2, 3, None), 1 + 10 + 5 * 3);
        assert_eq!(replace_cost(4, 0, 1, Some(2)), 1 + 4 + 2);
        assert_eq!(join_cost(3, 9, 2), 1 + 3 + 9 + 3 * 2);
    }

    #[test]
    fn no_meter_no_limit() {
        assert!(!metering());
        charge(u64::MAX).unwrap();
    }

    #[test]
    fn limits_read_with_thousands_separators() {
        assert_eq!(thousands(10_000_000), "10,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }
}
