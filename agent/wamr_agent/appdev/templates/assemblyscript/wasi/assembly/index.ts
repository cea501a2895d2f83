// {{name}}: a WASI command app. Top-level code is the program: the device calls
// `_start` once. AssemblyScript has no console over WASI; wamr_agent.wasi.println
// writes to stdout through WASI's fd_write (the WASI capability) and the device
// logs each line.

function add(a: i32, b: i32): i32 {
  return a + b;
}

wamr_agent.wasi.println("hello from {{name}}");
wamr_agent.wasi.println("2 + 3 = " + add(2, 3).toString());
