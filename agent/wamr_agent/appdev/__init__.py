"""The app developer's side: templates, toolchains and bindings for wasm apps
in C, Rust, Zig and AssemblyScript (docs/app-languages.md)."""
