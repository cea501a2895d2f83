//! {{name}}: a WASI command app. The device calls `_start`, which runs `main`
//! once; stdout goes through WASI (the WASI capability) and the device logs
//! each line.
const std = @import("std");

fn add(a: i32, b: i32) i32 {
    return a + b;
}

pub fn main() !void {
    const stdout = std.io.getStdOut().writer();
    try stdout.print("hello from {{name}}\n", .{});
    try stdout.print("2 + 3 = {d}\n", .{add(2, 3)});
}
