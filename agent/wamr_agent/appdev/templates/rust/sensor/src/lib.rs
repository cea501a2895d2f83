//! {{name}}: reads a temperature sensor, publishes it as telemetry and logs it.
//!
//! A reactor app: the device calls `setup` once after load, then `loop`
//! periodically; a non-zero result is reported as the app's status.
//! Needs the LOG, SENSOR and TELEMETRY capabilities (wamr.toml's grants).
#![no_std]

use wamr_agent as wa;

const CH_TEMPERATURE: i32 = 0;

#[no_mangle]
pub extern "C" fn setup() -> i32 {
    let _ = wa::log("{{name}} started");
    wa::OK
}

#[export_name = "loop"]
pub extern "C" fn app_loop() -> i32 {
    match sample() {
        Ok(()) => wa::OK,
        Err(wa::Error(code)) => code,
    }
}

fn sample() -> wa::Result<()> {
    let temp = wa::sensor_read(CH_TEMPERATURE).map_err(|err| {
        if err == wa::Error::NOT_FOUND {
            let _ = wa::log("no temperature data");
        }
        err
    })?;
    wa::publish("temp_c", temp)?;
    wa::log_fmt(format_args!("temperature {} C", wa::Tenths(temp)))
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
