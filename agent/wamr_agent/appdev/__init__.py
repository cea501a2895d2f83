"""The app developer's side: templates, toolchains and bindings for wasm apps
in C, Rust, Zig and AssemblyScript (``toolchains``, docs/app-languages.md), the
app manifest (``manifest``: ``wamr.toml``, docs/app-manifest.md), and the loop of
`wamr-agent new / build / up / watch` (``scaffold``, ``devloop``,
docs/dev-loop.md)."""
