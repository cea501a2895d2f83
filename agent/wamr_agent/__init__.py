"""wamr-agent: run WebAssembly apps on microcontrollers.

The host side: the `wamr-agent` CLI, the cffi binding of the device runtime
(:mod:`wamr_agent.pywamr`), board profiles and module checks.
"""

__version__ = "0.1.0"
