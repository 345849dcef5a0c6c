//! The one module that talks to the `cel` crate (pinned to an exact version in Cargo.toml).
//!
//! Its API changes between minor versions, so everything else in regcheck sees only this
//! module's types: [`Document`] and [`Node`] (the account as CEL values, navigable by key and
//! index), [`Expr`] (a compiled expression), [`Bindings`] (the names an expression sees) and
//! [`Data`] (plain values for helpers and parameters).
//!
//! Performance: the account is converted to CEL values once per audit (`convert`, straight from
//! the model); items and the account are then handed to every evaluation by reference through a
//! variable resolver, never copied. Helpers get string arguments lent, not copied, and a helper
//! can hand back a place in the account itself ([`helpers::Run::Account`]).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelTimestamp, DYN_TYPE,
};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::parser::Expression;
use cel::{Context, Env, ExecutionError, Value};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::data::Data;
use super::helpers;

mod convert;

/// The newtype name that `cel::to_value` turns into a CEL timestamp. Private to the `cel`
/// crate, which is why the version is pinned and a unit test below guards it.
pub const TIMESTAMP_NEWTYPE: &str = "$__cel_private_Timestamp";

/// A tree of CEL values, converted once.
pub struct Document {
    root: Box<dyn Val + 'static>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Document")
    }
}

impl Document {
    /// Converts any serializable value; [`TIMESTAMP_NEWTYPE`] newtypes become timestamps.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, String> {
        let root = convert::to_val(value).map_err(|error| error.to_string())?;
        Ok(Self { root })
    }

    /// Converts a list, its elements on every core: the account's images are most of it.
    pub fn from_list<T: Serialize + Sync>(items: &[T]) -> Result<Self, String> {
        let root = convert::list_to_val(items).map_err(|error| error.to_string())?;
        Ok(Self { root })
    }

    /// A table of documents (the account's sections, each converted on its own).
    pub fn from_sections(sections: Vec<(&str, Document)>) -> Self {
        let map: std::collections::HashMap<CelMapKey<'static>, Box<dyn Val>> = sections
            .into_iter()
            .map(|(name, document)| (CelMapKey::from(name.to_owned()), document.root))
            .collect();
        Self {
            root: Box::new(CelMap::from(map)),
        }
    }

    pub fn from_data(data: &Data) -> Self {
        Self {
            root: data_to_val(data.clone()),
        }
    }

    pub fn root(&self) -> Node<'_> {
        Node(self.root.as_ref())
    }
}

/// A map key made once (a path's member name), so looking it up costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldKey(CelMapKey<'static>);

impl FieldKey {
    pub fn new(name: &str) -> Self {
        Self(CelMapKey::from(name.to_owned()))
    }
}

/// A borrowed place in a [`Document`].
#[derive(Clone, Copy)]
pub struct Node<'a>(&'a (dyn Val + 'static));

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node({:?})", self.to_data())
    }
}

impl<'a> Node<'a> {
    fn map(&self) -> Option<&'a CelMap<'static>> {
        self.0.downcast_ref::<CelMap<'static>>()
    }

    pub fn is_map(&self) -> bool {
        self.map().is_some()
    }

    fn list(&self) -> Option<&'a CelList<'static>> {
        self.0.downcast_ref::<CelList<'static>>()
    }

    /// The entry `name` of a map, looked up borrowed (no key is made).
    pub fn get(&self, name: &str) -> Option<Node<'a>> {
        match self.map()?.as_indexer()?.get(&CelString::from(name)).ok()? {
            CowVal::Borrowed(value) => Some(Node(value)),
            CowVal::Owned(_) => None,
        }
    }

    /// [`get`](Self::get) with a key made beforehand: no error is made for a missing entry
    /// either, which matters on a path walked for every image.
    pub fn field(&self, key: &FieldKey) -> Option<Node<'a>> {
        self.map()?.inner().get(&key.0).map(|value| Node(value.as_ref()))
    }

    pub fn index(&self, index: usize) -> Option<Node<'a>> {
        self.list()?.inner().get(index).map(|value| Node(value.as_ref()))
    }

    /// The number of elements, if this is a list.
    pub fn list_len(&self) -> Option<usize> {
        self.list().map(|list| list.inner().len())
    }

    /// The elements of a list, in order.
    pub fn elements(self) -> Option<impl Iterator<Item = Node<'a>> + use<'a>> {
        Some(self.list()?.inner().iter().map(|value| Node(value.as_ref())))
    }

    /// The string-keyed entries of a map, sorted by key so iteration is deterministic.
    pub fn entries(&self) -> Option<Vec<(&'a str, Node<'a>)>> {
        let map = self.map()?;
        let mut entries: Vec<(&'a str, Node<'a>)> = map
            .inner()
            .iter()
            .filter_map(|(key, value)| {
                let key = key.inner().downcast_ref::<CelString>()?.inner();
                Some((key, Node(value.as_ref())))
            })
            .collect();
        entries.sort_by(|a, b| a.0.cmp(b.0));
        Some(entries)
    }

    /// This node with its borrow extended to `'static`, for the account index.
    ///
    /// # Safety
    ///
    /// The returned node must not be used after the document it points into is dropped.
    pub unsafe fn detach(self) -> Node<'static> {
        let pointer: *const (dyn Val + 'static) = self.0;
        // SAFETY: the caller promises the document outlives every use of the node.
        Node(unsafe { &*pointer })
    }

    /// Identity of the value in its document, for the index's shared copies.
    pub fn address(&self) -> usize {
        node_address(self.0)
    }

    pub fn as_str(&self) -> Option<&'a str> {
        self.0.downcast_ref::<CelString>().map(|s| s.inner())
    }

    /// A plain copy of this value (deep; meant for small values).
    pub fn to_data(&self) -> Data {
        Value::try_from(self.0)
            .map(|value| value_to_data(&value))
            .unwrap_or(Data::Null)
    }
}

fn node_address(val: &dyn Val) -> usize {
    (val as *const dyn Val).cast::<()>() as usize
}

/// A helper's argument: converted for this call, a copy shared for the whole evaluation, or a
/// string borrowed from the call (copied only if a helper asks for it as [`Data`]).
#[derive(Debug)]
pub enum Arg<'a> {
    Owned(Data),
    Shared(std::sync::Arc<Data>),
    Text {
        text: &'a str,
        copy: std::sync::OnceLock<Data>,
    },
}

impl Arg<'_> {
    /// The argument as text, without a copy, if it is a string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Arg::Text { text, .. } => Some(text),
            other => other.as_str(),
        }
    }
}

impl std::ops::Deref for Arg<'_> {
    type Target = Data;
    fn deref(&self) -> &Data {
        match self {
            Arg::Owned(data) => data,
            Arg::Shared(data) => data,
            Arg::Text { text, copy, .. } => copy.get_or_init(|| Data::Str((*text).to_owned())),
        }
    }
}

/// The values an expression sees. `account`, `params` and `as_of` are set per audit and rule;
/// `item`, `key`, `index` and `parent` per subject.
pub struct Bindings<'a> {
    pub account: Node<'a>,
    pub params: Node<'a>,
    pub as_of: Node<'a>,
    pub item: Node<'a>,
    pub parent: Option<Node<'a>>,
    pub key: Option<&'a str>,
    pub index: Option<i64>,
}

impl VariableResolver for Bindings<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        // `item.ref` reaches here whole before cel tries `item` and selects `ref` itself:
        // answering it here saves a second look-up. A missing field answers nothing, so that
        // cel goes on to `item` and fails on the field as usual.
        if let Some((name, fields)) = variable.split_once('.') {
            let mut node = self.node(name)?;
            for field in fields.split('.') {
                node = node.get(field)?;
            }
            return Some(CowVal::Borrowed(node.0));
        }
        let node = match variable {
            "account" => self.account,
            "item" => self.item,
            "params" => self.params,
            "as_of" => self.as_of,
            "parent" => self.parent?,
            "key" => return self.key.map(|key| CowVal::owned(CelString::from(key))),
            "index" => {
                let value: Box<dyn Val> = Value::Int(self.index?).try_into().ok()?;
                return Some(CowVal::Owned(value));
            }
            _ => return None,
        };
        Some(CowVal::Borrowed(node.0))
    }
}

impl<'a> Bindings<'a> {
    /// The bound names that are nodes of a document.
    fn node(&self, name: &str) -> Option<Node<'a>> {
        match name {
            "account" => Some(self.account),
            "item" => Some(self.item),
            "params" => Some(self.params),
            "as_of" => Some(self.as_of),
            "parent" => self.parent,
            _ => None,
        }
    }
}

/// A compile error: message and 0-based byte offset into the expression, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    pub offset: Option<usize>,
}

/// A CEL expression: its source text and its syntax tree.
///
/// An expression a user wrote is compiled when its policy loads ([`compile`]), so that its errors
/// are reported before any account is read. An expression that ships with regcheck (a built-in
/// policy, checked by the test suite) is compiled when a rule first evaluates it
/// ([`Expr::deferred`]), with the `cel` crate's fast parser: a run pays nothing for the rules that
/// do not run or find no subject, and little for those that do.
pub struct Expr {
    source: String,
    compiled: OnceLock<Result<Expression, CompileError>>,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expr({:?})", self.source)
    }
}

impl Expr {
    /// An expression compiled on first use with the fast parser. For text that a test proves
    /// the fast parser reads as the reference parser does: the built-in policies
    /// (`fast_parser_reads_every_builtin_expression_as_the_reference_parser_does`).
    pub fn deferred(source: &str) -> Self {
        Self {
            source: source.to_owned(),
            compiled: OnceLock::new(),
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// The syntax tree, compiling it now if it was deferred.
    fn expression(&self) -> Result<&Expression, &CompileError> {
        self.compiled.get_or_init(|| parse_fast(&self.source)).as_ref()
    }

    /// Functions this expression calls that the engine does not declare.
    pub fn unknown_functions(&self) -> Vec<String> {
        let Ok(expression) = self.expression() else {
            return Vec::new();
        };
        let references = expression.references();
        let mut unknown: Vec<String> = references
            .functions()
            .into_iter()
            .filter(|name| is_user_visible_name(name) && !is_declared_function(name))
            .map(str::to_owned)
            .collect();
        unknown.sort();
        unknown
    }

    /// Whether the expression reads the bound name `name` (or a local of that name). An
    /// expression that does not compile is taken to read everything.
    pub fn reads(&self, name: &str) -> bool {
        self.expression()
            .map_or(true, |expression| expression.references().has_variable(name))
    }

    pub fn eval_bool(&self, bindings: &Bindings<'_>) -> Result<bool, String> {
        match self.eval(bindings)? {
            Value::Bool(result) => Ok(result),
            other => Err(format!("expected a bool result, got {}", type_name(&other))),
        }
    }

    /// The value rendered for a message or subject: strings as they are, others in CEL syntax.
    pub fn eval_text(&self, bindings: &Bindings<'_>) -> Result<String, String> {
        Ok(render(&self.eval(bindings)?))
    }

    fn eval(&self, bindings: &Bindings<'_>) -> Result<Value, String> {
        // A deferred expression that does not compile fails its rule closed, like any error.
        let expression = self
            .expression()
            .map_err(|error| format!("the expression does not compile: {}", error.message))?;
        let mut context = THREAD_ENVIRONMENT.with(|env| Context::with_env(Arc::clone(env)));
        context.set_variable_resolver(bindings);
        Value::resolve(expression, &context).map_err(|error| describe_error(&error))
    }
}

/// Compiles an expression now, against regcheck's environment (standard library plus helpers),
/// with the `cel` crate's reference parser, whose error messages and positions users see.
pub fn compile(source: &str) -> Result<Expr, CompileError> {
    match environment().compile(source) {
        Ok(program) => Ok(Expr {
            source: source.to_owned(),
            compiled: OnceLock::from(Ok(program.expression().clone())),
        }),
        Err(errors) => Err(compile_error(source, &errors)),
    }
}

fn compile_error(source: &str, errors: &cel::ParseErrors) -> CompileError {
    let first = errors.errors.first();
    let message = first.map_or_else(|| errors.to_string(), |error| error.msg.clone());
    let offset = first.map(|error| offset_of(source, error.pos.0 as usize, error.pos.1 as usize));
    CompileError { message, offset }
}

/// Parses with the `cel` crate's Pratt parser: some fifty times faster than its ANTLR parser
/// (which [`compile`] uses), and reading every built-in expression the same (a test compares
/// their trees). It expands the standard macros, which are all the built-ins use.
fn parse_fast(source: &str) -> Result<Expression, CompileError> {
    cel::parser::PrattParser::default()
        .parse(source)
        .map_err(|errors| compile_error(source, &errors))
}

/// Byte offset of a 1-based line and 0-based column inside `source`.
fn offset_of(source: &str, line: usize, column: usize) -> usize {
    let line_start: usize = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &source[line_start.min(source.len())..];
    line_start + rest.char_indices().nth(column).map_or(rest.len(), |(i, _)| i)
}

thread_local! {
    /// Each evaluating thread's own copy of the environment: every evaluation clones the `Arc`
    /// it runs in, and a shared one made the rules on different cores fight over its count.
    static THREAD_ENVIRONMENT: Arc<Env> = Arc::new(build_environment());
}

fn environment() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(build_environment()))
}

/// The standard library, cel-go's strings and lists extensions, and regcheck's helpers.
fn build_environment() -> Env {
    let mut env = Env::stdlib();
    // cel-go's strings and lists extensions (`join`, `lowerAscii`, `split`, `distinct`, …):
    // policy authors expect them from Kubernetes admission policies.
    env.add_extension(cel::extensions::strings)
        .expect("the strings extension registers once");
    env.add_extension(cel::extensions::lists)
        .expect("the lists extension registers once");
    for index in 0..helpers::HELPERS.len() {
        register(&mut env, index).expect("helper names are unique and not standard functions");
    }
    env
}

/// Registers one helper as a global function of its arity with dynamic argument types.
fn register(env: &mut Env, index: usize) -> Result<(), cel::DeclarationError> {
    let helper = &helpers::HELPERS[index];
    let function = *TRAMPOLINES
        .get(index)
        .expect("TRAMPOLINES has a slot for every helper (raise its size when adding helpers)");
    env.add_overload(
        helper.name,
        helper.name,
        (0..helper.arity).map(|_| DYN_TYPE).collect(),
        function,
    )
}

/// cel takes plain `fn` pointers, which cannot capture which helper they call, so each helper
/// slot gets its own monomorphised trampoline.
fn trampoline<'b, 'v, const I: usize>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let helper = &helpers::HELPERS[I];
    let args: Vec<Arg> = args
        .iter()
        .map(|arg| {
            // A large section of the account (`account.iam`) passed as it is: use the copy the
            // index made once, instead of converting 10k policies on every call.
            if let CowVal::Borrowed(val) = arg
                && let Some(shared) = super::index::with_current(|index| index.shared(node_address(*val)))
            {
                return Ok(Arg::Shared(shared));
            }
            // Most arguments are strings (an env entry, a ref): lend them, copy nothing.
            if let Some(text) = arg.downcast_ref::<CelString>() {
                let text = text.inner();
                return Ok(Arg::Text {
                    text,
                    copy: std::sync::OnceLock::new(),
                });
            }
            Value::try_from(arg.as_ref()).map(|value| Arg::Owned(value_to_data(&value)))
        })
        .collect::<Result<_, _>>()?;
    let failed = |message| ExecutionError::function_error(helper.name, message);
    match helper.run {
        helpers::Run::Value(run) => match run(&args).map_err(failed)? {
            // Most scans find nothing: hand out one empty list instead of making one.
            Data::List(items) if items.is_empty() => Ok(CowVal::Borrowed(&*EMPTY_LIST)),
            result => Ok(CowVal::Owned(data_to_val(result))),
        },
        helpers::Run::Account(run) => Ok(CowVal::Borrowed(run(&args).map_err(failed)?.0)),
    }
}

static EMPTY_LIST: std::sync::LazyLock<CelList<'static>> =
    std::sync::LazyLock::new(|| CelList::from(Vec::new()));

/// A helper's result as a CEL value, built directly (no intermediate `Value`).
fn data_to_val(data: Data) -> Box<dyn Val> {
    match data {
        Data::Null => Box::new(CelNull),
        Data::Bool(flag) => Box::new(CelBool::from(flag)),
        Data::Int(number) => Box::new(CelInt::from(number)),
        Data::Float(number) => Box::new(CelDouble::from(number)),
        Data::Str(text) => Box::new(CelString::from(text)),
        Data::Time(time) => Box::new(CelTimestamp::from(time.fixed_offset())),
        Data::List(items) => Box::new(CelList::from(
            items.into_iter().map(data_to_val).collect::<Vec<_>>(),
        )),
        Data::Map(map) => Box::new(CelMap::from(
            map.into_iter()
                .map(|(key, value)| (CelMapKey::from(key), data_to_val(value)))
                .collect::<std::collections::HashMap<_, _>>(),
        )),
    }
}

macro_rules! trampolines {
    ($($i:literal),*) => { &[$(trampoline::<$i>),*] };
}

const TRAMPOLINES: &[cel::common::functions::Function] = trampolines!(
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
);

fn is_user_visible_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// A function is declared when calling it, globally or as a method, does not fail with
/// "undeclared reference" (the `cel` crate has no public lookup).
fn is_declared_function(name: &str) -> bool {
    let env = environment();
    [format!("{name}()"), format!("null.{name}()")]
        .iter()
        .any(|probe| {
            let Ok(program) = env.compile(probe) else {
                return false;
            };
            let context = Context::with_env(Arc::clone(env));
            !matches!(
                program.execute(&context),
                Err(ExecutionError::UndeclaredReference(_))
            )
        })
}

fn describe_error(error: &ExecutionError) -> String {
    match error {
        ExecutionError::NoSuchKey(key) => {
            format!("no such key: `{key}` (the field is absent from the account)")
        }
        ExecutionError::UndeclaredReference(name) => format!("undeclared reference to `{name}`"),
        other => other.to_string(),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::List(_) => "list",
        Value::Map(_) => "map",
        Value::Function(..) => "function",
        Value::Int(_) => "int",
        Value::UInt(_) => "uint",
        Value::Float(_) => "double",
        Value::String(_) => "string",
        Value::Bytes(_) => "bytes",
        Value::Bool(_) => "bool",
        Value::Duration(_) => "duration",
        Value::Timestamp(_) => "timestamp",
        Value::Null => "null",
        _ => "value",
    }
}

fn render(value: &Value) -> String {
    match value {
        Value::String(text) => text.to_string(),
        other => value_to_data(other).to_string(),
    }
}

fn value_to_data(value: &Value) -> Data {
    match value {
        Value::Null => Data::Null,
        Value::Bool(flag) => Data::Bool(*flag),
        Value::Int(number) => Data::Int(*number),
        Value::UInt(number) => i64::try_from(*number).map_or(Data::Float(*number as f64), Data::Int),
        Value::Float(number) => Data::Float(*number),
        Value::String(text) => Data::Str(text.to_string()),
        Value::Timestamp(time) => Data::Time(time.with_timezone(&Utc)),
        Value::Duration(duration) => Data::Str(format!("{}s", duration.num_seconds())),
        Value::List(items) => Data::List(items.iter().map(value_to_data).collect()),
        Value::Map(map) => Data::Map(
            map.map
                .iter()
                .map(|(key, value)| (key_text(key), value_to_data(value)))
                .collect::<BTreeMap<_, _>>(),
        ),
        _ => Data::Null,
    }
}

fn key_text(key: &cel::objects::Key) -> String {
    match key {
        cel::objects::Key::String(text) => text.to_string(),
        cel::objects::Key::Int(number) => number.to_string(),
        cel::objects::Key::Uint(number) => number.to_string(),
        cel::objects::Key::Bool(flag) => flag.to_string(),
    }
}

/// RFC 3339 text of a timestamp to the second, as report headers show it.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::model::Timestamp;

    #[derive(Serialize)]
    struct Sample {
        when: Timestamp,
        names: Vec<String>,
    }

    fn bindings<'a>(item: Node<'a>, empty: Node<'a>) -> Bindings<'a> {
        Bindings {
            account: item,
            params: empty,
            as_of: empty,
            item,
            parent: None,
            key: None,
            index: Some(2),
        }
    }

    #[test]
    fn timestamps_survive_conversion() {
        let when = Timestamp("2026-11-20T06:00:00Z".parse().unwrap());
        let doc = Document::from_serialize(&Sample {
            when,
            names: vec!["a".into()],
        })
        .unwrap();
        let empty = Document::from_data(&Data::Map(BTreeMap::new()));
        let expr = compile("item.when == timestamp('2026-11-20T06:00:00Z') && index == 2").unwrap();
        assert_eq!(expr.eval_bool(&bindings(doc.root(), empty.root())), Ok(true));
    }

    /// The converter must build what `cel::to_value` builds, on accounts that use every section.
    #[test]
    fn conversion_matches_the_cel_crate() {
        for name in ["account.toml", "compliant.toml", "small.toml"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(name);
            let loaded = crate::account::load_path(&path, name).unwrap_or_else(|_| panic!("{name} loads"));
            let ours = Document::from_serialize(&loaded.model).unwrap();
            let ours = Value::try_from(ours.root.as_ref()).unwrap();
            let theirs = cel::to_value(&loaded.model).unwrap();
            assert_eq!(ours, theirs, "{name}");
            let images = Document::from_list(&loaded.model.images).unwrap();
            let images = Value::try_from(images.root.as_ref()).unwrap();
            assert_eq!(
                images,
                cel::to_value(&loaded.model.images).unwrap(),
                "{name} images"
            );
        }
    }

    #[test]
    fn missing_field_is_an_error_not_false() {
        let doc = Document::from_data(&Data::Map(BTreeMap::new()));
        let expr = compile("item.absent == 1").unwrap();
        let error = expr.eval_bool(&bindings(doc.root(), doc.root())).unwrap_err();
        assert!(error.contains("absent"), "{error}");
    }

    #[test]
    fn reads_names_bound_names_used_anywhere() {
        let expr = compile("parent.ref == 'x' && item.env.exists(e, e == key)").unwrap();
        assert!(expr.reads("parent") && expr.reads("item") && expr.reads("key"));
        assert!(!expr.reads("index") && !expr.reads("account"));
    }

    #[test]
    fn unknown_functions_are_found_at_compile_time() {
        let expr = compile("size(item) > 0 && item.startsWith('a') && frobnicate(item)").unwrap();
        assert_eq!(expr.unknown_functions(), vec!["frobnicate".to_owned()]);
    }

    /// Built-in expressions are compiled with the fast (Pratt) parser, users' with the reference
    /// (ANTLR) parser of regcheck's environment: both must read every built-in expression, and
    /// every hole of a built-in template, into the same tree (node ids aside).
    #[test]
    fn fast_parser_reads_every_builtin_expression_as_the_reference_parser_does() {
        let ids = regex::Regex::new(r"\bid: \d+").unwrap();
        let tree = |expression: &Expression| ids.replace_all(&format!("{expression:?}"), "id").into_owned();
        let policies = crate::policy::builtin_checked().expect("built-ins load");
        let mut sources = Vec::new();
        for policy in &policies {
            for check in &policy.checks {
                sources.extend(check.when.iter().map(|when| when.value.source().to_owned()));
                sources.push(check.assert.value.source().to_owned());
                for template in [Some(&check.subject), Some(&check.message), check.locate.as_ref()]
                    .into_iter()
                    .flatten()
                {
                    sources.extend(template.value.holes().map(|(expr, _)| expr.source().to_owned()));
                }
            }
        }
        assert!(sources.len() > 200, "{} expressions", sources.len());
        for source in &sources {
            let reference = environment()
                .parser()
                .parse(source)
                .expect("the reference parser reads it");
            let fast = parse_fast(source).expect("the fast parser reads it");
            assert_eq!(tree(&fast), tree(&reference), "{source}");
        }
    }

    #[test]
    fn a_deferred_expression_compiles_on_first_use_and_fails_closed() {
        let doc = Document::from_data(&Data::Map(BTreeMap::new()));
        let root = doc.root();
        assert_eq!(
            Expr::deferred("1 + 1 == 2").eval_bool(&bindings(root, root)),
            Ok(true)
        );
        let broken = Expr::deferred("1 +");
        assert!(broken.eval_bool(&bindings(root, root)).is_err());
        assert!(
            broken.reads("item"),
            "an expression that does not compile reads everything"
        );
    }

    #[test]
    fn syntax_errors_carry_an_offset() {
        let error = compile("a &&& b").unwrap_err();
        assert!(error.offset.is_some());
    }
}
