//! {{name}}: reads a temperature sensor, publishes it as telemetry and logs it.
//!
//! A reactor app: the device calls `setup` once after load, then `loop`
//! periodically; a non-zero result is reported as the app's status.
//! Needs the LOG, SENSOR and TELEMETRY capabilities (wamr.toml's grants).
const wa = @import("wamr_agent");

const ch_temperature = 0;

export fn setup() i32 {
    wa.log("{{name}} started") catch {};
    return wa.OK;
}

export fn loop() i32 {
    sample() catch |err| return wa.errorCode(err);
    return wa.OK;
}

fn sample() wa.Error!void {
    const temp = wa.sensorRead(ch_temperature) catch |err| {
        if (err == error.NotFound) wa.log("no temperature data") catch {};
        return err;
    };
    try wa.publish("temp_c", temp);
    try wa.logFmt("temperature {d:.1} C", .{temp});
}
