//! Builds CEL values straight from serializable Rust values (the account model), without the
//! `cel` crate's own path (`cel::to_value`, then `Value` into `Box<dyn Val>`), which builds the
//! tree twice and clones every nested map on the way. On a large account that conversion was as
//! long as parsing the file.
//!
//! The mapping is `cel::to_value`'s (a test checks both agree on real accounts): `None` and
//! `()` are `null`, unit variants their name, structs and maps are maps, sequences lists, and
//! the [`TIMESTAMP_NEWTYPE`] newtype a timestamp. This serializer is not human-readable, so
//! [`Timestamp`](crate::account::model::Timestamp) hands over its seconds and nanoseconds
//! instead of a string to format and parse again.

use std::collections::HashMap;

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelTimestamp, CelUInt,
};
use cel::common::value::Val;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use serde::ser::{self, Impossible};

use super::TIMESTAMP_NEWTYPE;

pub type Built = Box<dyn Val + 'static>;

/// Why a value could not be converted.
#[derive(Debug)]
pub struct ConvertError(pub String);

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConvertError {}

impl ser::Error for ConvertError {
    fn custom<T: std::fmt::Display>(message: T) -> Self {
        Self(message.to_string())
    }
}

fn unsupported(what: &str) -> ConvertError {
    ConvertError(format!("{what} have no CEL form in regcheck"))
}

/// Converts one value.
pub fn to_val<T: Serialize + ?Sized>(value: &T) -> Result<Built, ConvertError> {
    value.serialize(ValSerializer)
}

/// Converts the elements of a long list on every core, in order.
pub fn list_to_val<T: Serialize + Sync>(items: &[T]) -> Result<Built, ConvertError> {
    // Below this, starting threads costs more than it saves.
    const PER_THREAD_MIN: usize = 512;
    let threads = match items.len() / PER_THREAD_MIN {
        0 | 1 => 1,
        most => crate::cores().min(most),
    };
    let elements: Vec<Built> = if threads == 1 {
        items.iter().map(to_val).collect::<Result<_, _>>()?
    } else {
        let parts = crate::in_order::map_parts(items, threads, |part| {
            part.iter()
                .map(to_val)
                .collect::<Result<Vec<Built>, ConvertError>>()
        });
        let mut elements = Vec::with_capacity(items.len());
        for part in parts {
            elements.extend(part?);
        }
        elements
    };
    Ok(Box::new(CelList::from(elements)))
}

struct ValSerializer;

impl ser::Serializer for ValSerializer {
    type Ok = Built;
    type Error = ConvertError;
    type SerializeSeq = ListBuilder;
    type SerializeTuple = ListBuilder;
    type SerializeTupleStruct = ListBuilder;
    type SerializeTupleVariant = Impossible<Built, ConvertError>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = Impossible<Built, ConvertError>;

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, v: bool) -> Result<Built, ConvertError> {
        Ok(Box::new(CelBool::from(v)))
    }
    fn serialize_i8(self, v: i8) -> Result<Built, ConvertError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Built, ConvertError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Built, ConvertError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Built, ConvertError> {
        Ok(Box::new(CelInt::from(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<Built, ConvertError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Built, ConvertError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Built, ConvertError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Built, ConvertError> {
        Ok(Box::new(CelUInt::from(v)))
    }
    fn serialize_f32(self, v: f32) -> Result<Built, ConvertError> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Built, ConvertError> {
        Ok(Box::new(CelDouble::from(v)))
    }
    fn serialize_char(self, v: char) -> Result<Built, ConvertError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Built, ConvertError> {
        Ok(Box::new(CelString::from(v.to_owned())))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Built, ConvertError> {
        Err(unsupported("byte strings"))
    }
    fn serialize_none(self) -> Result<Built, ConvertError> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Built, ConvertError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Built, ConvertError> {
        Ok(Box::new(CelNull))
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Built, ConvertError> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Built, ConvertError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Built, ConvertError> {
        if name == TIMESTAMP_NEWTYPE {
            let time = value.serialize(TimestampSerializer)?;
            return Ok(Box::new(CelTimestamp::from(time)));
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Built, ConvertError> {
        Err(unsupported("enum variants with data"))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<ListBuilder, ConvertError> {
        Ok(ListBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<ListBuilder, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<ListBuilder, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, ConvertError> {
        Err(unsupported("enum variants with data"))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, ConvertError> {
        Ok(MapBuilder::new(len.unwrap_or(0)))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, ConvertError> {
        Ok(MapBuilder::new(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, ConvertError> {
        Err(unsupported("enum variants with data"))
    }
}

struct ListBuilder(Vec<Built>);

impl ListBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.0.push(to_val(value)?);
        Ok(())
    }
    fn finish(self) -> Built {
        Box::new(CelList::from(self.0))
    }
}

impl ser::SerializeSeq for ListBuilder {
    type Ok = Built;
    type Error = ConvertError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Result<Built, ConvertError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for ListBuilder {
    type Ok = Built;
    type Error = ConvertError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Result<Built, ConvertError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for ListBuilder {
    type Ok = Built;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Result<Built, ConvertError> {
        Ok(self.finish())
    }
}

struct MapBuilder {
    entries: HashMap<CelMapKey<'static>, Built>,
    key: Option<CelMapKey<'static>>,
}

impl MapBuilder {
    fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::with_capacity(capacity),
            key: None,
        }
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Built;
    type Error = ConvertError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ConvertError> {
        self.key = Some(CelMapKey::from(key.serialize(KeySerializer)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ConvertError("a map value came without its key".to_owned()))?;
        self.entries.insert(key, to_val(value)?);
        Ok(())
    }
    fn end(self) -> Result<Built, ConvertError> {
        Ok(Box::new(CelMap::from(self.entries)))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Built;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ConvertError> {
        // Field names are `'static`: the key borrows the name instead of copying it.
        self.entries.insert(CelMapKey::from(key), to_val(value)?);
        Ok(())
    }
    fn end(self) -> Result<Built, ConvertError> {
        Ok(Box::new(CelMap::from(self.entries)))
    }
}

/// The body of a serializer that accepts only strings and what it implements beside them: the
/// associated types, and `$error` from every other scalar, compound or generic method.
macro_rules! refuse_the_rest {
    ($ok:ty, $error:expr) => {
        refuse_the_rest!(
            $ok, $error;
            serialize_bool(bool), serialize_i8(i8), serialize_i16(i16), serialize_i32(i32),
            serialize_i64(i64), serialize_u8(u8), serialize_u16(u16), serialize_u32(u32),
            serialize_u64(u64), serialize_f32(f32), serialize_f64(f64), serialize_char(char),
            serialize_bytes(&[u8]), serialize_none(), serialize_unit(),
            serialize_unit_struct(&'static str)
        );
    };
    ($ok:ty, $error:expr; $($method:ident($($arg:ty),*)),*) => {
        type Ok = $ok;
        type Error = ConvertError;
        type SerializeSeq = Impossible<$ok, ConvertError>;
        type SerializeTuple = Impossible<$ok, ConvertError>;
        type SerializeTupleStruct = Impossible<$ok, ConvertError>;
        type SerializeTupleVariant = Impossible<$ok, ConvertError>;
        type SerializeMap = Impossible<$ok, ConvertError>;
        type SerializeStruct = Impossible<$ok, ConvertError>;
        type SerializeStructVariant = Impossible<$ok, ConvertError>;

        $(fn $method(self, $(_: $arg),*) -> Result<$ok, ConvertError> {
            Err($error)
        })*
        fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<$ok, ConvertError> {
            Err($error)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<$ok, ConvertError> {
            Err($error)
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, ConvertError> {
            Err($error)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, ConvertError> {
            Err($error)
        }
        fn serialize_tuple_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleStruct, ConvertError> {
            Err($error)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, ConvertError> {
            Err($error)
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, ConvertError> {
            Err($error)
        }
        fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, ConvertError> {
            Err($error)
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, ConvertError> {
            Err($error)
        }
    };
}

/// Map keys: the account's maps (labels) are keyed by strings.
struct KeySerializer;

impl ser::Serializer for KeySerializer {
    refuse_the_rest!(String, unsupported("map keys other than strings"));

    fn serialize_str(self, v: &str) -> Result<String, ConvertError> {
        Ok(v.to_owned())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, ConvertError> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String, ConvertError> {
        value.serialize(self)
    }
}

/// The inside of a [`TIMESTAMP_NEWTYPE`]: whole nanoseconds since the Unix epoch (what a
/// non-human-readable serializer is given), or RFC 3339 text (from any other type using the name).
struct TimestampSerializer;

fn timestamp_error() -> ConvertError {
    ConvertError("a timestamp must be nanoseconds since the epoch or RFC 3339 text".to_owned())
}

impl ser::Serializer for TimestampSerializer {
    refuse_the_rest!(DateTime<FixedOffset>, timestamp_error());

    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_i128(self, nanos: i128) -> Result<Self::Ok, ConvertError> {
        let seconds = i64::try_from(nanos.div_euclid(1_000_000_000)).map_err(|_| timestamp_error())?;
        let nanos = u32::try_from(nanos.rem_euclid(1_000_000_000)).map_err(|_| timestamp_error())?;
        DateTime::from_timestamp(seconds, nanos)
            .map(|time| time.fixed_offset())
            .ok_or_else(timestamp_error)
    }
    fn serialize_str(self, text: &str) -> Result<Self::Ok, ConvertError> {
        DateTime::parse_from_rfc3339(text).map_err(|_| timestamp_error())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Self::Ok, ConvertError> {
        Err(timestamp_error())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, ConvertError> {
        Err(timestamp_error())
    }
}
