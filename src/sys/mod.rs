//! The system and runtime interfaces rsnet builds on: errno values, libuv, napi.

pub mod errno;
pub mod loop_turn;
pub mod napi_raw;
pub mod uv;
