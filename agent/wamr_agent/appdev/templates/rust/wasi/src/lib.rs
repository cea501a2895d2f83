//! {{name}}: a WASI command app. The device calls `_start` once; `println!`
//! writes to stdout through WASI (the WASI capability) and the device logs each
//! line. no_std: Rust's std is too large for a board's engine heap, so println!
//! comes from the wamr_agent crate (docs/app-languages.md).
#![no_std]

use wamr_agent::println;

fn add(a: i32, b: i32) -> i32 {
    a + b
}

#[no_mangle]
pub extern "C" fn _start() {
    println!("hello from {{name}}");
    println!("2 + 3 = {}", add(2, 3));
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
