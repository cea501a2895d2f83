//! {{name}}: a control loop. Switches a fan on above fan_on_c and off below
//! fan_off_c (the gap keeps sensor noise from flapping it), logs each decision
//! and publishes the fan's state as telemetry every loop.
//!
//! The native API has no outputs yet: the decision is the log line and the
//! `fan` telemetry (1 = on), which a gateway or controller can act on.
//! A reactor app; needs the LOG, SENSOR and TELEMETRY capabilities.
const wa = @import("wamr_agent");

const ch_temperature = 0;
const fan_on_c: f32 = 30.0;
const fan_off_c: f32 = 29.0;

var fan_on = false;

export fn setup() i32 {
    const fmt = "{{name}} started: fan on above {d:.1} C, off below {d:.1} C";
    wa.logFmt(fmt, .{ fan_on_c, fan_off_c }) catch {};
    return wa.OK;
}

export fn loop() i32 {
    control() catch |err| return wa.errorCode(err);
    return wa.OK;
}

fn control() wa.Error!void {
    const temp = wa.sensorRead(ch_temperature) catch |err| {
        wa.log("no temperature data") catch {};
        return err;
    };
    const want = if (fan_on) temp >= fan_off_c else temp > fan_on_c;
    if (want != fan_on) {
        fan_on = want;
        try wa.logFmt("fan {s} at {d:.1} C", .{ if (want) "on" else "off", temp });
    }
    try wa.publish("fan", if (want) 1.0 else 0.0);
}
