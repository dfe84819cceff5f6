//! The bytes of one `writev`: a JS array whose items are Buffers (any Uint8Array) or
//! strings to be written as latin1. Node's http server writes every response head as a
//! latin1 string next to its body; taking the string here, copied once into a reused
//! scratch buffer, spares JS a `Buffer.from(head, 'latin1')` (a Buffer object and a
//! pool slice) per response.

use std::cell::RefCell;
use std::ops::Range;
use std::ptr;

use napi::{Env, JsBuffer, JsBufferValue, JsObject, JsUnknown, NapiRaw, ValueType};

use crate::sys::napi_raw::check;

thread_local! {
    /// The latin1 bytes of the strings of the writev being made. Kept between calls:
    /// most responses have a head of a few hundred bytes, and a fresh Vec would be a
    /// malloc per response.
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// One item: a Buffer's bytes, or the range of the scratch buffer a string went to.
enum Part {
    Bytes(JsBufferValue),
    Latin1(Range<usize>),
}

/// Calls `write` with the bytes of `array`'s items, in order.
pub(super) fn with_chunks<T>(
    env: &Env,
    array: &JsObject,
    write: impl FnOnce(&[&[u8]]) -> T,
) -> napi::Result<T> {
    let count = array.get_array_length()?;
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        scratch.clear();
        let mut parts = Vec::with_capacity(count as usize);
        for i in 0..count {
            let item: JsUnknown = array.get_element(i)?;
            let part = if item.get_type()? == ValueType::String {
                Part::Latin1(append_latin1(env, &item, &mut scratch)?)
            } else {
                // SAFETY: a napi value of this env; into_value() checks that it is a
                // Buffer (napi_get_buffer_info fails with an error otherwise).
                let buffer: JsBuffer = unsafe { item.cast() };
                Part::Bytes(buffer.into_value()?)
            };
            parts.push(part);
        }
        let slices: Vec<&[u8]> = parts
            .iter()
            .map(|part| match part {
                Part::Bytes(value) => &value[..],
                Part::Latin1(range) => &scratch[range.clone()],
            })
            .collect();
        Ok(write(&slices))
    })
}

/// Appends a string's latin1 bytes (the low byte of each UTF-16 unit, as
/// `Buffer.from(string, 'latin1')`) to `scratch`; returns where they went.
fn append_latin1(
    env: &Env,
    string: &JsUnknown,
    scratch: &mut Vec<u8>,
) -> napi::Result<Range<usize>> {
    let mut length = 0;
    // SAFETY: on env's JS thread (a napi method call); a null buffer only asks for the
    // string's length, written into `length`.
    check(unsafe {
        napi::sys::napi_get_value_string_latin1(
            env.raw(),
            string.raw(),
            ptr::null_mut(),
            0,
            &mut length,
        )
    })?;
    let start = scratch.len();
    // napi writes a terminating NUL after the bytes: room for it, dropped below.
    scratch.resize(start + length + 1, 0);
    let mut copied = 0;
    // SAFETY: as above; napi writes at most `length + 1` bytes (the string and its
    // NUL) into the `length + 1` bytes just made at `start`, and their count into `copied`.
    check(unsafe {
        napi::sys::napi_get_value_string_latin1(
            env.raw(),
            string.raw(),
            scratch.as_mut_ptr().add(start).cast(),
            length + 1,
            &mut copied,
        )
    })?;
    scratch.truncate(start + copied);
    Ok(start..start + copied)
}
