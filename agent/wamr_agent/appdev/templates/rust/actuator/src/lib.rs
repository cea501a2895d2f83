//! {{name}}: a control loop. Switches a fan on above FAN_ON_C and off below
//! FAN_OFF_C (the gap keeps sensor noise from flapping it), logs each decision
//! and publishes the fan's state as telemetry every loop.
//!
//! The native API has no outputs yet: the decision is the log line and the
//! `fan` telemetry (1 = on), which a gateway or controller can act on.
//! A reactor app; needs the LOG, SENSOR and TELEMETRY capabilities.
#![no_std]

use core::sync::atomic::{AtomicBool, Ordering};

use wamr_agent as wa;

const CH_TEMPERATURE: i32 = 0;
const FAN_ON_C: f32 = 30.0;
const FAN_OFF_C: f32 = 29.0;

static FAN_ON: AtomicBool = AtomicBool::new(false);

#[no_mangle]
pub extern "C" fn setup() -> i32 {
    let _ = wa::log_fmt(format_args!(
        "{{name}} started: fan on above {} C, off below {} C",
        wa::Tenths(FAN_ON_C),
        wa::Tenths(FAN_OFF_C)
    ));
    wa::OK
}

#[export_name = "loop"]
pub extern "C" fn app_loop() -> i32 {
    match control() {
        Ok(()) => wa::OK,
        Err(wa::Error(code)) => code,
    }
}

fn control() -> wa::Result<()> {
    let temp = wa::sensor_read(CH_TEMPERATURE).map_err(|err| {
        let _ = wa::log("no temperature data");
        err
    })?;
    let on = FAN_ON.load(Ordering::Relaxed);
    let want = if on { temp >= FAN_OFF_C } else { temp > FAN_ON_C };
    if want != on {
        FAN_ON.store(want, Ordering::Relaxed);
        let state = if want { "on" } else { "off" };
        wa::log_fmt(format_args!("fan {} at {} C", state, wa::Tenths(temp)))?;
    }
    wa::publish("fan", if want { 1.0 } else { 0.0 })
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
